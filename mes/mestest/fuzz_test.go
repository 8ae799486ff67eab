package mestest_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge/mes/mestest"
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
	s := mestest.New(mestest.Options{MaxBodyBytes: 1 << 20, Codes: refuse("none")})
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
