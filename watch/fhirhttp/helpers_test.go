package fhirhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/fhirschematest"
	"github.com/docbridge/docbridge/watch/internal/testpki"
)

const token = "s3cret-token-for-tests"

// envelope is what the fake sink received.
type envelope struct {
	docbridge.Envelope
	body []byte
}

// fakeSink reads each body to EOF, as the store does, and answers with
// reply (nil: Converted, a new id per input).
type fakeSink struct {
	mu    sync.Mutex
	got   []envelope
	reply func(e *docbridge.Envelope, body []byte) (docbridge.Accepted, error)
}

func (s *fakeSink) Accept(ctx context.Context, e *docbridge.Envelope) (docbridge.Accepted, error) {
	body, err := io.ReadAll(e.Body)
	if err != nil {
		return docbridge.Accepted{}, docbridge.Wrap(docbridge.Internal, "read the input", err)
	}
	s.mu.Lock()
	s.got = append(s.got, envelope{Envelope: *e, body: body})
	n := int64(len(s.got))
	s.mu.Unlock()
	if s.reply != nil {
		return s.reply(e, body)
	}
	return docbridge.Accepted{ID: n, Size: int64(len(body)), State: docbridge.Converted}, nil
}

func (s *fakeSink) envelopes() []envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]envelope(nil), s.got...)
}

// fakeStatus knows inputs by id.
type fakeStatus map[int64]InputStatus

func (f fakeStatus) InputStatus(_ context.Context, id int64) (InputStatus, error) {
	st, ok := f[id]
	if !ok {
		return InputStatus{}, ErrUnknownInput
	}
	return st, nil
}

// start runs a server on a loopback port until the test ends.
func start(t *testing.T, o Options) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o.Listener = ln
	if o.Status == nil {
		o.Status = fakeStatus{}
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	scheme := "http://"
	if o.TLS != nil {
		scheme = "https://"
	}
	return s, scheme + ln.Addr().String()
}

// post sends body with a content type and the test token.
func post(t *testing.T, c *http.Client, url, contentType string, body io.Reader, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, c, req)
}

func do(t *testing.T, c *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// outcome decodes an OperationOutcome and checks its shape (TestOutcomeSchema
// checks it against the FHIR R4 schema).
func outcome(t *testing.T, b []byte) OperationOutcome {
	t.Helper()
	var oo OperationOutcome
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&oo); err != nil || oo.ResourceType != "OperationOutcome" || len(oo.Issue) == 0 {
		t.Fatalf("not an OperationOutcome with issues: %v\n%s", err, b)
	}
	for _, is := range oo.Issue {
		switch {
		case !strings.Contains("fatal error warning information", is.Severity) || is.Severity == "":
			t.Errorf("issue severity %q", is.Severity)
		case is.Code == "":
			t.Errorf("issue without code: %+v", is)
		}
	}
	return oo
}

// reasonOf returns the reason code of an issue.
func reasonOf(is Issue) docbridge.Reason {
	if is.Details == nil {
		return ""
	}
	for _, c := range is.Details.Coding {
		if c.System == ReasonSystem {
			return docbridge.Reason(c.Code)
		}
	}
	return ""
}

// outcomeSchema is the official FHIR R4 JSON schema, for OperationOutcomes.
var outcomeSchema = sync.OnceValues(func() (*fhirschematest.Schema, error) { return fhirschematest.Load("OperationOutcome") })

// validateR4 checks one OperationOutcome against the FHIR R4 JSON schema.
func validateR4(t *testing.T, b []byte) {
	t.Helper()
	sch, err := outcomeSchema()
	if err != nil {
		t.Fatalf("load the FHIR R4 schema: %v", err)
	}
	if err := sch.Validate(b); err != nil {
		t.Errorf("%v\n%s", err, b)
	}
}

// newPKI is testpki.New for this package's sender.
func newPKI(t *testing.T) testpki.PKI { return testpki.New(t, "his") }
