package messim_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/docbridge/docbridge/mes/messim"
)

// TestLoseAnswers: a lost answer leaves the document committed and the
// client without an answer; the resend meets "already there".
func TestLoseAnswers(t *testing.T) {
	s, ts := messim.NewTestServer(t, messim.Options{LoseAnswers: messim.LoseFirst(1)})
	tok := s.AddPatient("P1", insA, "1.2.250.1.213.1.4.10")
	body := mustJSON(t, validDoc(uid, content))
	post := func() (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/DocumentReference", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/fhir+json")
		return ts.Client().Do(req)
	}
	if resp, err := post(); err == nil {
		resp.Body.Close()
		t.Fatalf("first POST answered HTTP %d, want its answer lost", resp.StatusCode)
	}
	if docs := s.Documents(); len(docs) != 1 || docs[0].Status != "current" {
		t.Fatalf("after the lost answer the simulator holds %+v, want the document committed", docs)
	}
	resp, err := post()
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-MES-Duplicate") != "true" {
		t.Errorf("resend answered HTTP %d duplicate=%q, want 200 with X-MES-Duplicate", resp.StatusCode, resp.Header.Get("X-MES-Duplicate"))
	}
	if got := s.Count(); got != 1 {
		t.Errorf("simulator created %d documents, want 1", got)
	}
}
