package messim_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/docbridge/docbridge/mes/messim"
)

// TestFaultsByHeader: requests labelled with a listed value get its
// status, with an issue code that fits it and Retry-After for 429 and
// 503; others, labelled otherwise or not at all, pass through.
func TestFaultsByHeader(t *testing.T) {
	s := messim.New(messim.Options{Faults: messim.FaultsByHeader("X-Case", map[string]int{"a": 429, "b": 422, "c": 503})})
	tests := []struct {
		label, path string
		status      int
		code        string
		retryAfter  string
	}{
		{"a", "/DocumentReference?patient:identifier=x", 429, "throttled", "1"},
		{"b", "/oauth/patient", 422, "processing", ""},
		{"c", "/Binary/x", 503, "transient", "1"},
		{"d", "/oauth/patient", 401, "login", ""}, // not listed: the real answer (no token)
		{"", "/oauth/patient", 401, "login", ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, tt.path, nil)
		if tt.label != "" {
			r.Header.Set("X-Case", tt.label)
		}
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		if w.Code != tt.status || w.Header().Get("Retry-After") != tt.retryAfter {
			t.Errorf("%q %s: HTTP %d Retry-After %q, want %d %q", tt.label, tt.path, w.Code, w.Header().Get("Retry-After"), tt.status, tt.retryAfter)
		}
		if is := outcomeOf(t, w); len(is) == 0 || is[0].Code != tt.code {
			t.Errorf("%q %s: issues %+v, want code %s", tt.label, tt.path, is, tt.code)
		}
	}
}
