package conformance

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzConsentForm: reading any page never panics, and a form's hidden
// fields are read back as written.
func FuzzConsentForm(f *testing.F) {
	f.Add([]byte(`<form method="post" action="/oauth/authorize"><input type="hidden" name="request" value="r1"><input type="hidden" name="csrf" value="c&amp;1"></form>`))
	f.Add([]byte(`<FORM METHOD="POST"><input type="hidden" name="a">`))
	f.Add([]byte(`<p>no form</p>`))
	f.Fuzz(func(t *testing.T, page []byte) {
		form, err := parseConsentForm(page)
		if err == nil && form.hidden == nil {
			t.Fatal("a form without its fields map")
		}
	})
}

// FuzzRedactBody: whatever a body holds, in whatever media type, a known
// secret never comes out of Body.
func FuzzRedactBody(f *testing.F) {
	f.Add("application/json", `{"name":[{"family":"CONFORMITE-ESSAI"}],"x":"alexis"}`)
	f.Add("application/x-www-form-urlencoded", "token=abc&code=ALEXIS%20X")
	f.Add("application/xml", `<given>Alexis</given><id extension="192076912345621"/>`)
	f.Add("", `"conformite-essai"`)
	f.Add("application/json", `{"d":"\u0041LEXIS"}`)
	f.Fuzz(func(t *testing.T, contentType, body string) {
		red := NewRedactor()
		red.Patient(testPatient)
		got := strings.ToLower(red.Body(contentType, []byte(body), int64(len(body))) + red.URL(body) + red.Text(body))
		for _, s := range []string{"alexis", "conformite-essai", "192076912345621", "1992-07-14"} {
			if strings.Contains(got, s) {
				t.Fatalf("Body(%q, %q) shows %q: %q", contentType, body, s, got)
			}
		}
		_ = red.Headers(http.Header{"X": {body}})
	})
}
