package messim_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge/mes/messim"
)

// FuzzSimulatorRequest checks that no body crashes the handler, and that
// every answer is a 2xx or a 4xx with an OperationOutcome.
func FuzzSimulatorRequest(f *testing.F) {
	valid := string(mustJSON(f, validDoc(uid, content)))
	b64 := base64.StdEncoding.EncodeToString(content)
	for _, seed := range []string{
		valid,
		strings.Replace(valid, b64, b64[:len(b64)-2], 1),
		strings.Replace(valid, `"data"`, `"d\u0061ta"`, 1),
		strings.Replace(valid, insA, insB, 1),
		strings.Replace(valid, `"content":[`, `"content":[{"attachment":{"data":"YQ=="}},`, 1),
		`{"resourceType":"DocumentReference","content":[{"attachment":{"data":"\`,
		`{"content":[{"attachment":{"data":"YQ==\u0000"}}]}`,
		`[[[[{"content":`,
		"",
		"null",
	} {
		f.Add([]byte(seed))
	}
	s := messim.New(messim.Options{MaxBodyBytes: 1 << 20, Codes: refuse("none")})
	tok := s.AddPatient("P1", insA, insSystem)
	h := &sim{s: s, h: s.Handler(), tok: tok}
	f.Fuzz(func(t *testing.T, body []byte) {
		done := make(chan *httptest.ResponseRecorder, 1)
		go func() { done <- h.post(body) }()
		var w *httptest.ResponseRecorder
		select {
		case w = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("hang on %q", body)
		}
		switch {
		case w.Code >= 200 && w.Code < 300:
		case w.Code >= 400 && w.Code < 500:
			outcomeOf(t, w)
		default:
			t.Fatalf("HTTP %d %s", w.Code, w.Body)
		}
		if w.Code == http.StatusCreated && !strings.Contains(string(body), "DocumentReference") {
			t.Fatalf("accepted a body without a DocumentReference: %q", body)
		}
	})
}

// FuzzSimulatorTransaction checks that no ITI-65 body crashes or hangs the
// handler, and that every answer is a 200 transaction-response or a 4xx
// with an OperationOutcome.
func FuzzSimulatorTransaction(f *testing.F) {
	valid := string(mustJSON(f, validBundle(uid, content)))
	b64 := base64.StdEncoding.EncodeToString(content)
	for _, seed := range []string{
		valid,
		string(mustJSON(f, replacement("urn:oid:1.2.250.1.999.2", uid, []byte("v2")))),
		strings.Replace(valid, b64, b64[:len(b64)-2], 1),
		strings.Replace(valid, `"data"`, `"d\u0061ta"`, 1),
		strings.Replace(valid, insA, insB, 1),
		strings.Replace(valid, `"entry":[`, `"entry":[{"resource":{"resourceType":"Binary","data":"YQ=="}},`, 1),
		`{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Binary","data":"\`,
		`{"entry":[{"resource":{"data":"YQ==\u0000"}}]}`,
		`{"resourceType":"Bundle","entry":[{"resource":null},{},{"request":{}}]}`,
		"", "null",
	} {
		f.Add([]byte(seed))
	}
	s := messim.New(messim.Options{MaxBodyBytes: 1 << 20, Codes: refuse("none")})
	tok := s.AddPatient("P1", insA, insSystem)
	h := &sim{s: s, h: s.Handler(), tok: tok}
	f.Fuzz(func(t *testing.T, body []byte) {
		done := make(chan *httptest.ResponseRecorder, 1)
		go func() { done <- h.do(http.MethodPost, "/", body, nil) }()
		var w *httptest.ResponseRecorder
		select {
		case w = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("hang on %q", body)
		}
		switch {
		case w.Code == http.StatusOK:
			if !strings.Contains(w.Body.String(), `"transaction-response"`) {
				t.Fatalf("200 without a transaction-response: %s", w.Body)
			}
		case w.Code >= 400 && w.Code < 500:
			outcomeOf(t, w)
		default:
			t.Fatalf("HTTP %d %s", w.Code, w.Body)
		}
	})
}

// FuzzSimulatorPatch checks the FHIRPath Patch reader of the logical
// deletion the same way.
func FuzzSimulatorPatch(f *testing.F) {
	for _, seed := range []string{
		`{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"replace"},{"name":"path","valueString":"DocumentReference.status"},{"name":"value","valueCode":"superseded"}]},` +
			`{"name":"operation","part":[{"name":"type","valueCode":"add"},{"name":"path","valueString":"DocumentReference"},{"name":"name","valueString":"extension"},` +
			`{"name":"value","part":[{"name":"url","valueUri":"https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-ext-is-deleted"},{"name":"valueBoolean","valueBoolean":true}]}]}]}`,
		`{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type"},{"name":"type"}]}]}`,
		`{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"value","part":[{"name":"url"}]}]}]}`,
		`{"resourceType":"Parameters"}`, `{}`, ``,
	} {
		f.Add([]byte(seed))
	}
	s := messim.New(messim.Options{Codes: refuse("none")})
	tok := s.AddPatient("P1", insA, insSystem)
	h := &sim{s: s, h: s.Handler(), tok: tok}
	h.post(mustJSON(f, validDoc(uid, content)))
	target := "/DocumentReference?identifier=" + url.QueryEscape("urn:ietf:rfc:3986|"+uid)
	f.Fuzz(func(t *testing.T, body []byte) {
		w := h.do(http.MethodPatch, target, body, nil)
		switch {
		case w.Code == http.StatusOK:
		case w.Code >= 400 && w.Code < 500:
			outcomeOf(t, w)
		default:
			t.Fatalf("HTTP %d %s", w.Code, w.Body)
		}
	})
}
