package fhirhttp

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
)

const (
	docRef = `{"resourceType": "DocumentReference", "status": "current", "content": [{"attachment": {"data": "JVBERi0="}}]}`
	bundle = `{"resourceType": "Bundle", "type": "transaction", "entry": []}`
)

func TestPostFHIR(t *testing.T) {
	sink := &fakeSink{}
	status := fakeStatus{1: {Input: 1, Intake: "fhir", State: docbridge.Converted, Documents: []DocumentStatus{
		{ID: 7, UniqueID: "urn:oid:1.2.250.1.999.1", State: docbridge.Converted},
		{ID: 8, UniqueID: "urn:oid:1.2.250.1.999.2", State: docbridge.Review, Reason: docbridge.UnmappedCode, Message: "the type is not in JDV_J07"},
	}}}
	_, base := start(t, Options{Sink: sink, Status: status, Tokens: []string{"other", token}})
	c := http.DefaultClient

	resp, b := post(t, c, base+"/DocumentReference", "application/fhir+json; charset=utf-8", strings.NewReader(docRef), "X-Request-Id", "req-42")
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /DocumentReference = %d %s", resp.StatusCode, b)
	}
	if got := resp.Header.Get("Location"); got != "/status/1" || resp.Header.Get("Content-Location") != got {
		t.Errorf("Location = %q, Content-Location = %q; want /status/1", got, resp.Header.Get("Content-Location"))
	}
	oo := outcome(t, b)
	if len(oo.Issue) != 3 || oo.Issue[0].Severity != "information" || !strings.Contains(oo.Issue[0].Diagnostics, "input 1") {
		t.Errorf("202 outcome = %+v, want the input's issue and one per document", oo)
	}
	if is := oo.Issue[2]; is.Severity != "warning" || reasonOf(is) != docbridge.UnmappedCode || !strings.Contains(is.Diagnostics, "JDV_J07") {
		t.Errorf("document issue = %+v", is)
	}
	envs := sink.envelopes()
	if len(envs) != 1 {
		t.Fatalf("sink got %d inputs, want 1", len(envs))
	}
	e := envs[0]
	if string(e.body) != docRef || e.Intake != "fhir" || e.Source != "127.0.0.1" || e.MessageID != "req-42" || e.Sidecar != nil || e.ReceivedAt.IsZero() {
		t.Errorf("envelope = %+v, body %q", e.Envelope, e.body)
	}

	for _, p := range []string{"/", "/Bundle"} {
		if resp, b := post(t, c, base+p, "application/json", strings.NewReader(bundle)); resp.StatusCode != http.StatusAccepted {
			t.Errorf("POST %s = %d %s", p, resp.StatusCode, b)
		}
	}
	// A big resource whose resourceType comes late is taken: the converter decides.
	late := `{"id": "` + strings.Repeat("x", 70<<10) + `", "resourceType": "DocumentReference"}`
	if resp, b := post(t, c, base+"/Bundle", "application/fhir+json", strings.NewReader(late)); resp.StatusCode != http.StatusAccepted {
		t.Errorf("POST /Bundle with a late resourceType = %d %s", resp.StatusCode, b)
	}
	if n := len(sink.envelopes()); n != 4 {
		t.Errorf("sink got %d inputs, want 4", n)
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name        string
		reply       func(*docbridge.Envelope, []byte) (docbridge.Accepted, error)
		path, ctype string
		body        string
		chunked     bool
		auth        string
		wantStatus  int
		wantReason  docbridge.Reason
		wantIssue   string // FHIR IssueType
		wantMsg     string
		wantStored  bool
	}{
		{name: "converter refuses", path: "/DocumentReference", body: docRef,
			reply: func(*docbridge.Envelope, []byte) (docbridge.Accepted, error) {
				return docbridge.Accepted{ID: 5, State: docbridge.Failed, Reason: docbridge.UnsupportedFormat, Message: "the Bundle is a searchset"}, nil
			},
			wantStatus: 422, wantReason: docbridge.UnsupportedFormat, wantIssue: "not-supported", wantMsg: "searchset (input 5, kept", wantStored: true},
		{name: "resend of a refused input", path: "/DocumentReference", body: docRef,
			reply: func(*docbridge.Envelope, []byte) (docbridge.Accepted, error) {
				return docbridge.Accepted{ID: 5, Duplicate: true, State: docbridge.Failed, Reason: docbridge.INSInvalid, Message: "the INS check key is wrong"}, nil
			},
			wantStatus: 422, wantReason: docbridge.INSInvalid, wantIssue: "value", wantMsg: "check key is wrong (input 5, kept", wantStored: true},
		{name: "malformed", path: "/", body: bundle,
			reply: func(*docbridge.Envelope, []byte) (docbridge.Accepted, error) {
				return docbridge.Accepted{ID: 6, State: docbridge.Failed, Reason: docbridge.Malformed, Message: "syntax error at byte 3"}, nil
			},
			wantStatus: 400, wantReason: docbridge.Malformed, wantIssue: "structure", wantMsg: "byte 3", wantStored: true},
		{name: "store full", path: "/", body: bundle,
			reply: func(*docbridge.Envelope, []byte) (docbridge.Accepted, error) {
				return docbridge.Accepted{}, docbridge.Errorf(docbridge.Internal, "disk full")
			},
			wantStatus: 503, wantReason: docbridge.Internal, wantIssue: "transient", wantMsg: "send it again later", wantStored: true},
		{name: "store limit", path: "/", body: bundle,
			reply: func(*docbridge.Envelope, []byte) (docbridge.Accepted, error) {
				return docbridge.Accepted{}, docbridge.Errorf(docbridge.TooLarge, "the input is over 10 bytes")
			},
			wantStatus: 413, wantReason: docbridge.TooLarge, wantIssue: "too-long", wantMsg: "over 10 bytes", wantStored: true},
		{name: "over the body limit", path: "/", body: `{"resourceType": "Bundle", "x": "` + strings.Repeat("x", 300) + `"}`,
			wantStatus: 413, wantReason: docbridge.TooLarge, wantIssue: "too-long", wantMsg: "over the limit of 150 bytes"},
		{name: "over the body limit, chunked", path: "/", body: `{"resourceType": "Bundle", "x": "` + strings.Repeat("x", 300) + `"}`, chunked: true,
			wantStatus: 413, wantReason: docbridge.TooLarge, wantIssue: "too-long", wantMsg: "over the limit of 150 bytes"},
		{name: "wrong resource for the path", path: "/DocumentReference", body: bundle,
			wantStatus: 400, wantReason: docbridge.UnsupportedFormat, wantIssue: "not-supported", wantMsg: "type Bundle is not posted to /DocumentReference"},
		{name: "a Bundle posted as an Appointment", path: "/Appointment", body: bundle,
			wantStatus: 400, wantReason: docbridge.UnsupportedFormat, wantIssue: "not-supported", wantMsg: "an Appointment to /Appointment"},
		{name: "an Appointment posted as a Bundle", path: "/", body: `{"resourceType":"Appointment"}`,
			wantStatus: 400, wantReason: docbridge.UnsupportedFormat, wantIssue: "not-supported", wantMsg: "type Appointment is not posted to /"},
		{name: "wrong content type", path: "/", ctype: "application/xml", body: "<Bundle/>",
			wantStatus: 415, wantReason: docbridge.UnsupportedFormat, wantIssue: "not-supported", wantMsg: "application/fhir+json"},
		{name: "pdf not multipart", path: "/pdf", ctype: "application/pdf", body: "%PDF-1.7",
			wantStatus: 415, wantReason: docbridge.UnsupportedFormat, wantMsg: "multipart/form-data"},
		{name: "no token", path: "/", body: bundle, auth: "-", wantStatus: 401, wantIssue: "login", wantMsg: "bearer token"},
		{name: "wrong token", path: "/", body: bundle, auth: "Bearer s3cret-token-for-test", wantStatus: 401, wantIssue: "login", wantMsg: "not one this intake accepts"},
		{name: "basic auth", path: "/", body: bundle, auth: "Basic dXNlcjpwYXNz", wantStatus: 401, wantIssue: "login"},
		{name: "unknown path", path: "/Patient", body: "{}", wantStatus: 404, wantIssue: "not-found", wantMsg: "no such endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &fakeSink{reply: tt.reply}
			_, base := start(t, Options{Sink: sink, Tokens: []string{token}, MaxBodyBytes: 150})
			var body io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // hides the length: the request is chunked
			}
			req, _ := http.NewRequest(http.MethodPost, base+tt.path, body)
			req.Header.Set("Content-Type", "application/fhir+json")
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			switch tt.auth {
			case "":
				req.Header.Set("Authorization", "Bearer "+token)
			case "-":
			default:
				req.Header.Set("Authorization", tt.auth)
			}
			resp, b := do(t, http.DefaultClient, req)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tt.wantStatus, b)
			}
			oo := outcome(t, b)
			is := oo.Issue[0]
			if is.Severity != "error" || reasonOf(is) != tt.wantReason || (tt.wantIssue != "" && is.Code != tt.wantIssue) ||
				!strings.Contains(is.Diagnostics, tt.wantMsg) || is.Details == nil || is.Details.Text != is.Diagnostics {
				t.Errorf("issue = %+v; want reason %q, code %q, message with %q", is, tt.wantReason, tt.wantIssue, tt.wantMsg)
			}
			if got := len(sink.envelopes()) > 0; got != tt.wantStored && !tt.chunked {
				t.Errorf("stored = %v, want %v", got, tt.wantStored)
			}
			if tt.wantStatus == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if tt.wantStored && tt.wantStatus != 503 && tt.wantStatus != 413 && resp.Header.Get("Content-Location") == "" {
				t.Error("a refused, stored input's answer has no Content-Location")
			}
		})
	}
}

func TestStatus(t *testing.T) {
	status := fakeStatus{
		3: {Input: 3, Intake: "fhir", State: docbridge.Converted, ReceivedAt: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC),
			Documents: []DocumentStatus{{ID: 9, UniqueID: "urn:oid:1.2.250.1.999.9", State: docbridge.Held, Reason: docbridge.NotPaired, Message: "no pairing"}}},
		4: {Input: 4, Intake: "drop", State: docbridge.Converted},
		5: {Input: 5, Intake: "fhir", State: docbridge.Failed, Reason: docbridge.Malformed, Message: "not JSON"},
	}
	_, base := start(t, Options{Sink: &fakeSink{}, Status: status, Tokens: []string{token}})
	get := func(path, method string) (*http.Response, []byte) {
		req, _ := http.NewRequest(method, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		return do(t, http.DefaultClient, req)
	}
	resp, b := get("/status/3", http.MethodGet)
	var st InputStatus
	if err := json.Unmarshal(b, &st); err != nil || resp.StatusCode != 200 || st.Input != 3 || st.State != docbridge.Converted ||
		len(st.Documents) != 1 || st.Documents[0].Reason != docbridge.NotPaired {
		t.Errorf("GET /status/3 = %d %+v, %v: %s", resp.StatusCode, st, err, b)
	}
	if strings.Contains(string(b), "intake") {
		t.Errorf("the status shows the intake: %s", b)
	}
	resp, b = get("/status/5", http.MethodGet)
	if err := json.Unmarshal(b, &st); err != nil || st.State != docbridge.Failed || st.Reason != docbridge.Malformed || st.Documents == nil {
		t.Errorf("GET /status/5 = %d %+v: %s", resp.StatusCode, st, b)
	}
	for _, c := range []struct {
		path, method string
		want         int
	}{
		{"/status/4", http.MethodGet, 404}, // another intake's input
		{"/status/99", http.MethodGet, 404},
		{"/status/x", http.MethodGet, 404},
		{"/status/3", http.MethodPost, 405},
		{"/DocumentReference", http.MethodGet, 405},
	} {
		resp, b := get(c.path, c.method)
		if resp.StatusCode != c.want {
			t.Errorf("%s %s = %d, want %d", c.method, c.path, resp.StatusCode, c.want)
		}
		outcome(t, b)
		if c.want == 405 && resp.Header.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", c.method, c.path)
		}
	}
}

// multipartBody builds a /pdf form.
func multipartBody(t *testing.T, parts ...[2]string) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p[0] == "file" {
			w, err = mw.CreateFormFile("file", `C:\scans\285047505612322_11502-2_20250301.pdf`)
		} else {
			w, err = mw.CreateFormField(p[0])
		}
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p[1])
	}
	mw.Close()
	return mw.FormDataContentType(), &buf
}

func TestPostPDF(t *testing.T) {
	sink := &fakeSink{}
	_, base := start(t, Options{Sink: sink, Tokens: []string{token}})
	const pdf = "%PDF-1.7\n...\n%%EOF\n"
	ct, body := multipartBody(t, [2]string{"sidecar", `{"type": "11502-2"}`}, [2]string{"file", pdf})
	resp, b := post(t, http.DefaultClient, base+"/pdf", ct, body)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /pdf = %d %s", resp.StatusCode, b)
	}
	e := sink.envelopes()[0]
	if string(e.body) != pdf || string(e.Sidecar) != `{"type": "11502-2"}` || e.Source != "285047505612322_11502-2_20250301.pdf" {
		t.Errorf("envelope = source %q, sidecar %q, body %q", e.Source, e.Sidecar, e.body)
	}

	ct, body = multipartBody(t, [2]string{"file", pdf})
	if resp, b := post(t, http.DefaultClient, base+"/pdf", ct, body); resp.StatusCode != http.StatusAccepted || sink.envelopes()[1].Sidecar != nil {
		t.Errorf("POST /pdf without sidecar = %d %s", resp.StatusCode, b)
	}

	for _, c := range []struct {
		name   string
		parts  [][2]string
		status int
		msg    string
	}{
		{"no file", [][2]string{{"sidecar", "{}"}}, 400, "no part \"file\""},
		{"two sidecars", [][2]string{{"sidecar", "{}"}, {"sidecar", "{}"}, {"file", pdf}}, 400, "two parts"},
		{"unknown part", [][2]string{{"metadata", "{}"}, {"file", pdf}}, 400, "\"metadata\""},
		{"sidecar too big", [][2]string{{"sidecar", strings.Repeat(" ", docbridge.MaxSidecar+1)}, {"file", pdf}}, 413, "sidecar is over"},
	} {
		ct, body := multipartBody(t, c.parts...)
		resp, b := post(t, http.DefaultClient, base+"/pdf", ct, body)
		if resp.StatusCode != c.status || !strings.Contains(outcome(t, b).Issue[0].Diagnostics, c.msg) {
			t.Errorf("%s: %d %s; want %d mentioning %q", c.name, resp.StatusCode, b, c.status, c.msg)
		}
	}
	if n := len(sink.envelopes()); n != 2 {
		t.Errorf("sink got %d inputs, want 2", n)
	}
}

// TestPDFLimit refuses a PDF over MaxPDFBytes, whether the request says
// its length or not.
func TestPDFLimit(t *testing.T) {
	sink := &fakeSink{}
	_, base := start(t, Options{Sink: sink, Tokens: []string{token}, MaxPDFBytes: 1000})
	ct, body := multipartBody(t, [2]string{"file", "%PDF-1.7\n" + strings.Repeat("x", 2000)})
	resp, b := post(t, http.DefaultClient, base+"/pdf", ct, io.MultiReader(body))
	if resp.StatusCode != http.StatusRequestEntityTooLarge || reasonOf(outcome(t, b).Issue[0]) != docbridge.TooLarge {
		t.Errorf("POST /pdf over the limit = %d %s", resp.StatusCode, b)
	}
}

func TestClientCertificates(t *testing.T) {
	pki := newPKI(t)
	tc := &tls.Config{Certificates: []tls.Certificate{pki.Server}, ClientCAs: pki.Pool, ClientAuth: tls.VerifyClientCertIfGiven}
	_, base := start(t, Options{Sink: &fakeSink{}, TLS: tc})
	withCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.Pool, Certificates: []tls.Certificate{pki.Client}}}}
	withoutCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.Pool}}}
	defer withCert.CloseIdleConnections()
	defer withoutCert.CloseIdleConnections()

	req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(bundle))
	req.Header.Set("Content-Type", "application/fhir+json")
	if resp, b := do(t, withCert, req); resp.StatusCode != http.StatusAccepted {
		t.Errorf("with a client certificate: %d %s", resp.StatusCode, b)
	}
	req, _ = http.NewRequest(http.MethodPost, base+"/", strings.NewReader(bundle))
	req.Header.Set("Content-Type", "application/fhir+json")
	resp, b := do(t, withoutCert, req)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(outcome(t, b).Issue[0].Diagnostics, "client certificate") {
		t.Errorf("without a client certificate: %d %s", resp.StatusCode, b)
	}
	// A token alone is not accepted when only certificates are configured.
	if resp, _ := post(t, withoutCert, base+"/", "application/fhir+json", strings.NewReader(bundle)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a token with no token configured: %d", resp.StatusCode)
	}
}

func TestBearerOverTLS(t *testing.T) {
	pki := newPKI(t)
	tc := &tls.Config{Certificates: []tls.Certificate{pki.Server}, ClientCAs: pki.Pool, ClientAuth: tls.VerifyClientCertIfGiven}
	_, base := start(t, Options{Sink: &fakeSink{}, TLS: tc, Tokens: []string{token}})
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.Pool}}}
	defer c.CloseIdleConnections()
	if resp, b := post(t, c, base+"/", "application/fhir+json", strings.NewReader(bundle)); resp.StatusCode != http.StatusAccepted {
		t.Errorf("bearer over TLS: %d %s", resp.StatusCode, b)
	}
}

func TestNewRefuses(t *testing.T) {
	for _, c := range []struct {
		name string
		o    Options
		want string
	}{
		{"no sink", Options{Status: fakeStatus{}, Tokens: []string{token}, Addr: "127.0.0.1:0"}, "Sink"},
		{"no status", Options{Sink: &fakeSink{}, Tokens: []string{token}, Addr: "127.0.0.1:0"}, "StatusLookup"},
		{"open", Options{Sink: &fakeSink{}, Status: fakeStatus{}, Tokens: []string{" "}, Addr: "127.0.0.1:0"}, "never open"},
		{"client CAs not checked", Options{Sink: &fakeSink{}, Status: fakeStatus{}, Addr: "127.0.0.1:0",
			TLS: &tls.Config{ClientAuth: tls.RequestClientCert}}, "never open"},
		{"no address", Options{Sink: &fakeSink{}, Status: fakeStatus{}, Tokens: []string{token}}, "address"},
	} {
		if s, err := New(c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			if s != nil {
				s.Close()
			}
			t.Errorf("%s: New = %v, want an error mentioning %q", c.name, err, c.want)
		}
	}
}

// countingSink streams each body to nowhere and counts it.
type countingSink struct{ n int64 }

func (s *countingSink) Accept(_ context.Context, e *docbridge.Envelope) (docbridge.Accepted, error) {
	n, err := io.Copy(io.Discard, e.Body)
	if err != nil {
		return docbridge.Accepted{}, docbridge.Wrap(docbridge.Internal, "read the input", err)
	}
	s.n = n
	return docbridge.Accepted{ID: 1, Size: n, State: docbridge.Converted}, nil
}

// TestPDFStreamed posts a 32 MiB PDF and checks that the intake hands it
// to the sink as a stream: the process allocates a fraction of it.
func TestPDFStreamed(t *testing.T) {
	const size = 32 << 20
	sink := &countingSink{}
	_, base := start(t, Options{Sink: sink, Tokens: []string{token}})
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, err := mw.CreateFormFile("file", "big.pdf")
		if err == nil {
			chunk := bytes.Repeat([]byte("%PDF-1.7 stream of bytes\n"), 2600) // 65 000 bytes
			for written := 0; written < size && err == nil; written += len(chunk) {
				_, err = fw.Write(chunk[:min(len(chunk), size-written)])
			}
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	resp, b := post(t, http.DefaultClient, base+"/pdf", mw.FormDataContentType(), pr)
	runtime.ReadMemStats(&after)
	if resp.StatusCode != http.StatusAccepted || sink.n != size {
		t.Fatalf("POST /pdf = %d, %d bytes stored; want 202, %d: %s", resp.StatusCode, sink.n, size, b)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/4 {
		t.Errorf("posting %d MiB allocated %d MiB: the PDF is not streamed", size>>20, alloc>>20)
	}
}
