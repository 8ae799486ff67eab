package messim_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/docbridge/docbridge/mes/messim"
	"github.com/google/go-cmp/cmp"
)

func searchPath(system, ins, extra string) string {
	return "/DocumentReference?" + url.Values{"patient:identifier": {system + "|" + ins}}.Encode() + extra
}

type searchset struct {
	Type  string
	Total int
	Entry []struct {
		Resource struct {
			ID               string
			Status           string
			MasterIdentifier struct{ Value string }
			Content          []struct{ Attachment struct{ URL string } }
		}
	}
}

func TestSearchRetrieveDelete(t *testing.T) {
	s := newSim(messim.Options{})
	tokP2 := s.s.AddPatient("P2", insB, insSystem)
	const v2 = "urn:oid:1.2.250.1.999.2"
	s.post(mustJSON(t, validDoc(uid, content)))
	repl := validDoc(v2, []byte("version 2"))
	set(t, repl, "relatesTo", []any{map[string]any{"code": "replaces", "target": map[string]any{"identifier": map[string]any{"system": "urn:ietf:rfc:3986", "value": uid}}}})
	if w := s.post(mustJSON(t, repl)); w.Code != http.StatusCreated {
		t.Fatalf("replace: HTTP %d %s", w.Code, w.Body)
	}

	w := s.do(http.MethodGet, searchPath(insSystem, insA, "&status=current"), nil, nil)
	var ss searchset
	if err := json.Unmarshal(w.Body.Bytes(), &ss); err != nil || w.Code != 200 {
		t.Fatalf("search: HTTP %d %s", w.Code, w.Body)
	}
	if ss.Type != "searchset" || ss.Total != 1 || ss.Entry[0].Resource.MasterIdentifier.Value != v2 {
		t.Fatalf("search current = %+v, want the replacement only", ss)
	}
	u, _ := url.Parse(ss.Entry[0].Resource.Content[0].Attachment.URL)
	if w := s.do(http.MethodGet, u.Path, nil, nil); w.Code != 200 || w.Body.String() != "version 2" || w.Header().Get("Content-Type") != "application/pdf" {
		t.Errorf("GET %s: HTTP %d %q %v", u.Path, w.Code, w.Body, w.Header())
	}
	if w := s.do(http.MethodGet, u.Path, nil, map[string]string{"Authorization": "Bearer " + tokP2}); w.Code != http.StatusNotFound {
		t.Errorf("another patient's token: HTTP %d, want 404", w.Code)
	}

	w = s.do(http.MethodGet, searchPath(insSystem, insA, "&_count=1"), nil, nil)
	ss = searchset{}
	json.Unmarshal(w.Body.Bytes(), &ss)
	if ss.Total != 2 || len(ss.Entry) != 1 {
		t.Errorf("_count=1: total %d, %d entries; want 2, 1", ss.Total, len(ss.Entry))
	}

	deleteURL := "/DocumentReference?" + url.Values{"identifier": {"urn:ietf:rfc:3986|" + v2}}.Encode()
	if w := s.do(http.MethodDelete, deleteURL, nil, map[string]string{"Authorization": "Bearer " + tokP2}); w.Code != http.StatusNotFound {
		t.Errorf("delete with another patient's token: HTTP %d, want 404", w.Code)
	}
	if w := s.do(http.MethodDelete, deleteURL, nil, nil); w.Code != http.StatusNoContent || w.Header().Get("X-MES-Duplicate") != "" {
		t.Errorf("delete: HTTP %d %v, want 204 without duplicate", w.Code, w.Header())
	}
	if w := s.do(http.MethodDelete, deleteURL, nil, nil); w.Code != http.StatusNoContent || w.Header().Get("X-MES-Duplicate") != "true" {
		t.Errorf("delete again: HTTP %d %v, want 204 with duplicate", w.Code, w.Header())
	}
	if w := s.do(http.MethodGet, u.Path, nil, nil); w.Code != http.StatusGone {
		t.Errorf("GET deleted: HTTP %d, want 410", w.Code)
	}
	if w := s.do(http.MethodDelete, "/DocumentReference?identifier=urn:oid:1.9.9", nil, nil); w.Code != http.StatusNotFound {
		t.Errorf("delete unknown: HTTP %d, want 404", w.Code)
	}

	var got [][]string
	for _, d := range s.s.Documents() {
		got = append(got, append([]string{d.UniqueID, d.Status}, d.History...))
	}
	want := [][]string{{uid, "superseded", "create", "superseded"}, {v2, "deleted", "replace", "delete", "delete-again"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
}

func TestSearchRefuses(t *testing.T) {
	s := newSim(messim.Options{})
	tests := []struct {
		name, target string
		status       int
	}{
		{"another patient's INS", searchPath(insSystem, insB, ""), 403},
		{"no patient", "/DocumentReference?status=current", 400},
		{"bad _count", searchPath(insSystem, insA, "&_count=-1"), 400},
	}
	for _, tt := range tests {
		w := s.do(http.MethodGet, tt.target, nil, nil)
		if w.Code != tt.status {
			t.Errorf("%s: HTTP %d, want %d", tt.name, w.Code, tt.status)
		}
		outcomeOf(t, w)
		if strings.Contains(w.Body.String(), insB) {
			t.Errorf("%s: answer echoes the INS", tt.name)
		}
	}
}

func TestMountedUnderPrefix(t *testing.T) {
	s := newSim(messim.Options{})
	h := http.StripPrefix("/api/v1", s.h)
	r := httptest.NewRequest(http.MethodPost, "http://mes.test/api/v1/DocumentReference", strings.NewReader(string(mustJSON(t, validDoc(uid, content)))))
	r.Header.Set("Authorization", "Bearer "+s.tok)
	r.Header.Set("Content-Type", "application/fhir+json")
	r.Header.Set("Prefer", "return=minimal")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	want := "http://mes.test/api/v1/DocumentReference/" + s.s.Documents()[0].MESID + "/_history/1"
	if w.Code != 201 || w.Header().Get("Location") != want || w.Body.Len() != 0 {
		t.Errorf("HTTP %d Location %q body %q; want 201, %q, no body", w.Code, w.Header().Get("Location"), w.Body, want)
	}
}
