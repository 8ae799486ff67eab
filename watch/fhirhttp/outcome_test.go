package fhirhttp

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
)

func TestResourceType(t *testing.T) {
	for in, want := range map[string]string{
		`{"resourceType": "Bundle"}`: "Bundle",
		`{"id": "x", "meta": {"a": [1, {}]}, "resourceType": "DocumentReference"}`: "DocumentReference",
		`{"id": "x", "resourceType": 3}`:                                           "",
		`{"id": "trunc`:                                                            "",
		`[{"resourceType": "Bundle"}]`:                                             "",
		`{"contained": [{"resourceType": "Patient"}]}`:                             "",
	} {
		if got := resourceType([]byte(in)); got != want {
			t.Errorf("resourceType(%s) = %q, want %q", in, got, want)
		}
	}
}

// FuzzResourceType checks the peek at a body's resourceType never panics
// and agrees with a full decode of a body that names one resourceType.
func FuzzResourceType(f *testing.F) {
	for _, s := range []string{docRef, bundle, `{"a": {"resourceType": "x"}, "resourceType": "Bundle"}`, `{"resourceType": 1}`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := resourceType(b)
		var full struct {
			ResourceType string `json:"resourceType"`
		}
		if got == "" || bytes.Count(bytes.ToLower(b), []byte("resourcetype")) != 1 || bytes.IndexByte(b, '\\') >= 0 {
			return
		}
		if err := json.Unmarshal(b, &full); err == nil && full.ResourceType != got {
			t.Fatalf("resourceType = %q, a full decode says %q", got, full.ResourceType)
		}
	})
}

// TestOutcomeSchema checks every kind of answer against the official FHIR
// R4 JSON schema (internal/fhirschematest).
func TestOutcomeSchema(t *testing.T) {
	status := fakeStatus{1: {Input: 1, Intake: "fhir", State: docbridge.Converted, Documents: []DocumentStatus{
		{ID: 7, UniqueID: "urn:oid:1.2.250.1.999.1", State: docbridge.Review, Reason: docbridge.MissingTrait, Message: "the sex is missing"},
		{ID: 8, UniqueID: "urn:oid:1.2.250.1.999.2", State: docbridge.Failed, Reason: docbridge.INSInvalid, Message: "the INS key is wrong"},
	}}}
	refuse := func(*docbridge.Envelope, []byte) (docbridge.Accepted, error) {
		return docbridge.Accepted{ID: 2, State: docbridge.Failed, Reason: docbridge.UnmappedCode, Message: "the type is not in JDV_J07"}, nil
	}
	for _, c := range []struct {
		sink       *fakeSink
		path, auth string
	}{
		{&fakeSink{}, "/DocumentReference", "Bearer " + token},
		{&fakeSink{reply: refuse}, "/DocumentReference", "Bearer " + token},
		{&fakeSink{}, "/DocumentReference", ""},
		{&fakeSink{}, "/nope", "Bearer " + token},
	} {
		s, err := New(Options{Sink: c.sink, Status: status, Tokens: []string{token}, Listener: nopListener{}})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, c.path, strings.NewReader(docRef))
		req.Header.Set("Content-Type", "application/fhir+json")
		req.Header.Set("Authorization", c.auth)
		s.ServeHTTP(rec, req)
		validateR4(t, rec.Body.Bytes())
	}
}

// nopListener is a listener for a server only used as a handler.
type nopListener struct{ net.Listener }

func (nopListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
func (nopListener) Close() error   { return nil }
