package pairing

import (
	"bytes"
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/mes/messim"
)

var camille = docbridge.Patient{
	INS: "285047505612322", INSSystem: "urn:oid:1.2.250.1.213.1.4.10",
	BirthName: "DOCBRIDGE-TEST", FirstNames: []string{"CAMILLE", "MARIE-ANNE"},
	BirthDate: "1985-04-17", Sex: "F", BirthPlace: "75056",
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	sim    *messim.Server
	st     *store.Store
	oauth  *mes.PairingClient
	docs   *mes.Client
	srv    *httptest.Server // docbridge's pairing endpoints
	clk    *clock
	logbuf *bytes.Buffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvScopes(t, nil)
}

// newEnvScopes is newEnv with docbridge asking MES for these scopes.
func newEnvScopes(t *testing.T, scopes []string) *env {
	t.Helper()
	e := &env{clk: &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}, logbuf: &bytes.Buffer{}}
	var simSrv *httptest.Server
	e.sim, simSrv = messim.NewTestServer(t, messim.Options{AccessTokenTTL: 10 * time.Minute, Now: e.clk.Now})
	e.sim.AddIdentity("mes-camille", camille)
	st, err := store.Open(context.Background(), store.Options{Dir: t.TempDir(), TokenKey: bytes.Repeat([]byte{1}, 32), Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	mux := http.NewServeMux()
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	e.oauth = mes.NewPairingClient(mes.PairingOptions{BaseURL: simSrv.URL, ClientID: "lab", RedirectURL: e.srv.URL + "/callback", Now: e.clk.Now, Scopes: scopes})
	e.docs = mes.NewClient(mes.Options{BaseURL: simSrv.URL})
	s := NewServer(Options{OAuth: e.oauth, Store: st, Identity: identity.Options{Environment: identity.Test},
		Log: zerolog.New(e.logbuf), Now: e.clk.Now, Scopes: scopes})
	mux.Handle("/", s.Handler())
	return e
}

var hidden = regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)">`)

// browse plays the patient: GET /start, follow to the consent page, answer
// it (with the extra form values: deny_scope), follow back to the callback. It returns the callback's status and page.
func browse(t *testing.T, start string, jar http.CookieJar, decision string, extra ...url.Values) (int, string) {
	t.Helper()
	hc := &http.Client{Jar: jar}
	resp, err := hc.Get(start)
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	page.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(page.String(), "Autoriser") {
		t.Fatalf("consent page: HTTP %d %s", resp.StatusCode, page.String())
	}
	form := url.Values{"patient": {"mes-camille"}, "decision": {decision}}
	for _, x := range extra {
		for k, v := range x {
			form[k] = v
		}
	}
	for _, m := range hidden.FindAllStringSubmatch(page.String(), -1) {
		form.Set(m[1], m[2])
	}
	resp, err = hc.PostForm(resp.Request.URL.Scheme+"://"+resp.Request.URL.Host+"/oauth/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	page.Reset()
	page.ReadFrom(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, page.String()
}

func TestPairingThroughConsent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	jar, _ := cookiejar.New(nil)
	status, page := browse(t, e.srv.URL+"/start", jar, "approve")
	if status != http.StatusOK || !strings.Contains(page, `<main id="paired">`) {
		t.Fatalf("callback: HTTP %d %s", status, page)
	}
	ps, err := e.st.Pairings(ctx)
	if err != nil || len(ps) != 1 {
		t.Fatalf("Pairings = %d, %v; want one", len(ps), err)
	}
	p := ps[0]
	if p.MESPatient != "mes-camille" || p.AccessToken == "" || p.RefreshToken == "" || p.Revoked {
		t.Errorf("pairing = %s %s revoked=%v, want a live pairing of mes-camille with tokens", p.ID, p.MESPatient, p.Revoked)
	}
	if diffs := identity.Compare(camille, p.Patient); len(diffs) != 0 {
		t.Errorf("paired identity differs on %v", diffs)
	}
	if got, want := p.ExpiresAt, e.clk.Now().Add(10*time.Minute); !got.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", got, want)
	}
	for _, secret := range []string{camille.INS, camille.BirthName, camille.BirthDate, "CAMILLE", p.AccessToken} {
		if strings.Contains(e.logbuf.String(), secret) {
			t.Errorf("the log holds patient data or a token")
		}
	}
	if !strings.Contains(e.logbuf.String(), p.ID) {
		t.Errorf("the log does not name pairing %s:\n%s", p.ID, e.logbuf.String())
	}

	// Pairing again renews the same pairing.
	jar2, _ := cookiejar.New(nil)
	if status, _ := browse(t, e.srv.URL+"/start", jar2, "approve"); status != http.StatusOK {
		t.Fatalf("second pairing: HTTP %d", status)
	}
	ps, _ = e.st.Pairings(ctx)
	if len(ps) != 1 || ps[0].ID != p.ID || ps[0].AccessToken == p.AccessToken {
		t.Errorf("after pairing again: %d pairings (%s), want %s renewed", len(ps), ps[0].ID, p.ID)
	}
}

func TestCallbackRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	jar, _ := cookiejar.New(nil)
	if status, page := browse(t, e.srv.URL+"/start", jar, "deny"); status != http.StatusOK || !strings.Contains(page, `<main id="refused">`) || !strings.Contains(page, `href="start"`) {
		t.Errorf("denied: HTTP %d %s", status, page)
	}

	// A callback with a state this browser never got, or replayed.
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	jar, _ = cookiejar.New(nil)
	hc.Jar = jar
	resp, err := hc.Get(e.srv.URL + "/start")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	q := loc.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("scope") != docbridge.ScopeDocuments || q.Get("state") == "" {
		t.Errorf("authorize URL query = %v, want PKCE S256, the documents scope and a state", q)
	}
	tests := []struct {
		name  string
		query string
		jar   bool
		want  int
		page  string // the id of the page's <main>
	}{
		{"no cookie", "state=" + url.QueryEscape(q.Get("state")) + "&code=x", false, http.StatusBadRequest, "not-valid"},
		{"other state", "state=forged&code=x", true, http.StatusBadRequest, "not-valid"},
		{"right state, bad code", "state=" + url.QueryEscape(q.Get("state")) + "&code=x", true, http.StatusBadGateway, "error"},
		{"state replayed", "state=" + url.QueryEscape(q.Get("state")) + "&code=x", true, http.StatusBadRequest, "expired"},
	}
	for _, tt := range tests {
		c := &http.Client{}
		if tt.jar {
			c.Jar = jar
		}
		// The cookie is cleared by each callback: put it back for the next case.
		u, _ := url.Parse(e.srv.URL)
		jar.SetCookies(u, []*http.Cookie{{Name: stateCookie, Value: q.Get("state"), Path: "/"}})
		resp, err := c.Get(e.srv.URL + "/callback?" + tt.query)
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		body.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: HTTP %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
		// A patient can read the page and start again from it.
		for _, want := range []string{`<html lang="fr">`, `<main id="` + tt.page + `">`, `href="start"`} {
			if !strings.Contains(body.String(), want) {
				t.Errorf("%s: the page lacks %s:\n%s", tt.name, want, body.String())
			}
		}
	}

	// An identity MES gives that fails the checks is not paired.
	bad := camille
	bad.BirthPlace = ""
	e.sim.AddIdentity("mes-camille", bad)
	jar, _ = cookiejar.New(nil)
	if status, _ := browse(t, e.srv.URL+"/start", jar, "approve"); status != http.StatusUnprocessableEntity {
		t.Errorf("incomplete identity: HTTP %d, want 422", status)
	}
	if ps, _ := e.st.Pairings(ctx); len(ps) != 0 {
		t.Errorf("%d pairings stored, want none", len(ps))
	}
}

func TestRefresher(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	jar, _ := cookiejar.New(nil)
	browse(t, e.srv.URL+"/start", jar, "approve")
	r := NewRefresher(RefresherOptions{OAuth: e.oauth, Store: e.st, Before: 3 * time.Minute, Log: zerolog.New(e.logbuf), Now: e.clk.Now})
	if n, err := r.RefreshDue(ctx); n != 0 || err != nil {
		t.Fatalf("RefreshDue with a fresh token = %d, %v; want 0", n, err)
	}
	before, _ := e.st.Pairings(ctx)
	e.clk.Add(8 * time.Minute)
	if n, err := r.RefreshDue(ctx); n != 1 || err != nil {
		t.Fatalf("RefreshDue near expiry = %d, %v; want 1", n, err)
	}
	after, _ := e.st.Pairings(ctx)
	if after[0].AccessToken == before[0].AccessToken || !after[0].ExpiresAt.Equal(e.clk.Now().Add(10*time.Minute)) {
		t.Errorf("pairing not refreshed: expiry %v", after[0].ExpiresAt)
	}
	e.clk.Add(5 * time.Minute) // the old access token has expired, the new one has not
	if _, err := e.oauth.Identity(ctx, after[0].AccessToken); err != nil {
		t.Errorf("the refreshed token does not work: %v", err)
	}
	if _, err := e.oauth.Identity(ctx, before[0].AccessToken); docbridge.ReasonOf(err) != docbridge.PairingRevoked {
		t.Errorf("the old token still works after its expiry: %v", err)
	}

	// The patient revokes in MES: the next refresh marks the pairing revoked.
	e.sim.RevokePatient("mes-camille")
	e.clk.Add(5 * time.Minute)
	if n, err := r.RefreshDue(ctx); n != 1 || err != nil {
		t.Fatalf("RefreshDue after revocation = %d, %v; want 1", n, err)
	}
	if ps, _ := e.st.Pairings(ctx); !ps[0].Revoked {
		t.Error("the pairing is not marked revoked after MES refused the refresh")
	}
}

// A refresher round whose exclusive lock another instance holds refreshes
// nothing; with the lock, it refreshes.
func TestRefresherRoundIsExclusive(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	jar, _ := cookiejar.New(nil)
	browse(t, e.srv.URL+"/start", jar, "approve")
	e.clk.Add(8 * time.Minute)
	held := true
	r := NewRefresher(RefresherOptions{OAuth: e.oauth, Store: e.st, Before: 3 * time.Minute, Log: zerolog.New(e.logbuf), Now: e.clk.Now,
		Exclusive: func(ctx context.Context, name string, fn func(context.Context) error) (bool, error) {
			if held {
				return false, nil
			}
			return true, fn(ctx)
		}})
	before, _ := e.st.Pairings(ctx)
	if err := r.round(ctx); err != nil {
		t.Fatal(err)
	}
	if now, _ := e.st.Pairings(ctx); now[0].AccessToken != before[0].AccessToken {
		t.Error("a round refreshed a token while another instance held the lock")
	}
	held = false
	if err := r.round(ctx); err != nil {
		t.Fatal(err)
	}
	if now, _ := e.st.Pairings(ctx); now[0].AccessToken == before[0].AccessToken {
		t.Error("a round with the lock refreshed nothing")
	}
}
