package admin

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
)

func TestAccessControl(t *testing.T) {
	f := newFixture(t)
	f.pair(camille)
	id := f.addDoc("urn:oid:1.2.3.1", camille, docbridge.Review, docbridge.UnmappedCode)
	aside := "/documents/" + itoa(id) + "/aside"
	anon, vera, otto := f.anonymous(), f.signIn("vera"), f.signIn("otto")
	tests := []struct {
		name   string
		c      *client
		method string
		path   string
		csrf   string // "-": none; "": the client's own
		want   int
	}{
		{"anonymous dashboard goes to login", anon, "GET", "/", "", http.StatusSeeOther},
		{"anonymous document list goes to login", anon, "GET", "/documents", "", http.StatusSeeOther},
		{"anonymous action refused", anon, "POST", aside, "-", http.StatusUnauthorized},
		{"anonymous health", anon, "GET", "/healthz", "", http.StatusOK},
		{"anonymous readiness", anon, "GET", "/readyz", "", http.StatusOK},
		{"anonymous metrics", anon, "GET", "/metrics", "", http.StatusOK},
		{"viewer reads the dashboard", vera, "GET", "/", "", http.StatusOK},
		{"viewer reads a document", vera, "GET", "/documents/" + itoa(id), "", http.StatusOK},
		{"viewer reads pairings", vera, "GET", "/pairings", "", http.StatusOK},
		{"viewer cannot act", vera, "POST", aside, "", http.StatusForbidden},
		{"operator without CSRF token refused", otto, "POST", aside, "-", http.StatusForbidden},
		{"operator with a wrong CSRF token refused", otto, "POST", aside, "forged", http.StatusForbidden},
		{"operator with another session's token refused", otto, "POST", aside, vera.csrf, http.StatusForbidden},
		{"operator acts", otto, "POST", aside, "", http.StatusSeeOther},
		{"unknown document", otto, "GET", "/documents/999", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resp *http.Response
			if tt.method == "GET" {
				resp, _ = tt.c.get(tt.path)
			} else {
				form := url.Values{"note": {"checked with the lab"}}
				switch tt.csrf {
				case "-":
				case "":
					form.Set("csrf", tt.c.csrf)
				default:
					form.Set("csrf", tt.csrf)
				}
				resp, _ = tt.c.post(tt.path, form)
			}
			if got := resp.StatusCode; got != tt.want {
				t.Errorf("%s %s status = %d, want %d", tt.method, tt.path, got, tt.want)
			}
		})
	}
}

func TestLogin(t *testing.T) {
	f := newFixture(t)
	c := f.anonymous()
	_, body := c.get("/login")
	tok := csrfRe.FindStringSubmatch(body)[1]
	tests := []struct {
		name     string
		form     url.Values
		want     int
		wantMsg  string
		wantUser string // the audit actor, "" for none
	}{
		{"no CSRF token", url.Values{"user": {"otto"}, "password": {password}}, http.StatusForbidden, "CSRF", ""},
		{"wrong password", url.Values{"csrf": {tok}, "user": {"otto"}, "password": {"nope"}}, http.StatusUnauthorized, "wrong password", "user:otto"},
		// Audited as the address's refusal already (TestSignInThrottle).
		{"unknown user", url.Values{"csrf": {tok}, "user": {"mallory"}, "password": {password}}, http.StatusUnauthorized, "wrong password", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.audits = nil
			if tt.form.Has("csrf") {
				tt.form.Set("csrf", tok) // the token of the last form shown
			}
			resp, body := c.post("/login", tt.form)
			if got := resp.StatusCode; got != tt.want {
				t.Errorf("status = %d, want %d", got, tt.want)
			}
			if !strings.Contains(body, tt.wantMsg) {
				t.Errorf("body does not say %q", tt.wantMsg)
			}
			if tt.wantUser != "" && (len(f.audits) != 1 || f.audits[0].actor != tt.wantUser) {
				t.Errorf("audits = %+v, want one by %s", f.audits, tt.wantUser)
			}
			// A refused sign-in shows the form again with a new token.
			if m := csrfRe.FindStringSubmatch(body); m != nil {
				tok = m[1]
			}
		})
	}

	resp, _ := c.post("/login", url.Values{"csrf": {tok}, "user": {"otto"}, "password": {password}, "next": {"//evil.example/"}})
	if got, want := resp.StatusCode, http.StatusSeeOther; got != want {
		t.Fatalf("sign-in status = %d, want %d", got, want)
	}
	if got, want := resp.Header.Get("Location"), "/"; got != want {
		t.Errorf("redirect after sign-in = %q, want %q (no open redirect)", got, want)
	}
	var sess *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			sess = ck
		}
	}
	if sess == nil {
		t.Fatal("no session cookie")
	}
	if !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Secure || len(sess.Value) < 40 {
		t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Strict, not Secure without TLS, a long random id", sess)
	}

	// Sign out ends the session: the old cookie no longer works.
	_, body = c.get("/")
	csrf := csrfRe.FindStringSubmatch(body)[1]
	if resp, _ := c.post("/logout", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout status = %d", resp.StatusCode)
	}
	if resp, _ := c.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout the dashboard answers %d, want a redirect to login", resp.StatusCode)
	}
}

func TestTrustedHeader(t *testing.T) {
	tests := []struct {
		name    string
		proxies []string
		user    string
		want    int
	}{
		{"from a trusted proxy, known user", []string{"127.0.0.0/8"}, "vera", http.StatusOK},
		{"from a trusted proxy, unknown user", []string{"127.0.0.0/8"}, "mallory", http.StatusSeeOther},
		{"from an untrusted address", []string{"10.0.0.0/8"}, "vera", http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureWith(t, func(o *Options) {
				o.TrustedHeader, o.TrustedProxies = "X-Remote-User", mustPrefixes(t, tt.proxies)
			})
			req, _ := http.NewRequest("GET", f.ts.URL+"/", nil)
			req.Header.Set("X-Remote-User", tt.user)
			resp, err := f.anonymous().hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.StatusCode; got != tt.want {
				t.Errorf("status = %d, want %d", got, tt.want)
			}
		})
	}
}
