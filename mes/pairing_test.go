package mes_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/mes/messim"
)

// testClock is a settable clock shared by the simulator and the client.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var identityA = docbridge.Patient{
	INS: insA, INSSystem: insSystem, BirthName: "PAT-TROIS", FirstNames: []string{"DOMINIQUE", "MARIE-LOUISE"},
	BirthDate: "1979-03-28", Sex: "F", BirthPlace: "51215",
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)">`)

// consent plays the patient's browser: it opens authorizeURL, reads the
// consent page and answers it, with the extra form values (deny_scope).
// It returns the query MES redirected to.
func consent(t *testing.T, authorizeURL, mesID, decision string, extra ...url.Values) url.Values {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(authorizeURL)
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	page.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		if loc := resp.Header.Get("Location"); loc != "" {
			u, _ := url.Parse(loc)
			return u.Query()
		}
		t.Fatalf("authorize: HTTP %d: %s", resp.StatusCode, page.String())
	}
	for _, want := range []string{"documents-svc", "Documents de santé", "Autoriser", "Refuser"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	form := url.Values{"patient": {mesID}, "decision": {decision}}
	for _, x := range extra {
		for k, v := range x {
			form[k] = v
		}
	}
	for _, m := range hiddenField.FindAllStringSubmatch(page.String(), -1) {
		form.Set(m[1], m[2])
	}
	u, _ := url.Parse(authorizeURL)
	resp, err = hc.PostForm(u.Scheme+"://"+u.Host+u.Path, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("consent answer: HTTP %d, want 303", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if !strings.HasPrefix(loc.String(), "https://lab.example/pairing/callback") {
		t.Errorf("redirected to %s, want the callback", loc.Redacted())
	}
	return loc.Query()
}

type pairingEnv struct {
	sim *messim.Server
	c   *mes.PairingClient
	dc  *mes.Client
	clk *testClock
	// base and hc reach the simulator.
	base string
	hc   *http.Client
}

func newPairingEnv(t *testing.T) *pairingEnv {
	clk := &testClock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	sim, srv := messim.NewTestServer(t, messim.Options{
		Clients: map[string]string{"documents-svc": "documents-svc (Laboratoire des charmes)"}, AccessTokenTTL: 10 * time.Minute, Now: clk.Now,
	})
	sim.AddIdentity("mes-A", identityA)
	return &pairingEnv{
		sim: sim, clk: clk, base: srv.URL, hc: srv.Client(),
		c: mes.NewPairingClient(mes.PairingOptions{BaseURL: srv.URL, ClientID: "documents-svc",
			RedirectURL: "https://lab.example/pairing/callback", HTTPClient: srv.Client(), Now: clk.Now}),
		dc: mes.NewClient(mes.Options{BaseURL: srv.URL, HTTPClient: srv.Client()}),
	}
}

// pair runs the whole flow and returns the tokens.
func (e *pairingEnv) pair(t *testing.T) mes.Token {
	t.Helper()
	verifier, challenge := mes.NewPKCE()
	q := consent(t, e.c.AuthorizeURL("state-1", challenge), "mes-A", "approve")
	if q.Get("state") != "state-1" || q.Get("code") == "" {
		t.Fatalf("callback query = %v, want code and state", q)
	}
	tok, err := e.c.Exchange(context.Background(), q.Get("code"), verifier)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return tok
}

func TestPairingFlow(t *testing.T) {
	ctx := context.Background()
	e := newPairingEnv(t)
	tok := e.pair(t)
	if got, want := tok.MESPatient, "mes-A"; got != want {
		t.Errorf("MESPatient = %q, want %q", got, want)
	}
	if got, want := tok.ExpiresAt, e.clk.Now().Add(10*time.Minute); !got.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", got, want)
	}
	got, err := e.c.Identity(ctx, tok.AccessToken)
	if err != nil {
		t.Fatalf("Identity: %v", err)
	}
	want := identityA
	want.IdentityStatus = "QUAL"
	if got.INS != want.INS || got.INSSystem != want.INSSystem || got.BirthName != want.BirthName ||
		strings.Join(got.FirstNames, "|") != strings.Join(want.FirstNames, "|") || got.BirthDate != want.BirthDate ||
		got.Sex != want.Sex || got.BirthPlace != want.BirthPlace || got.IdentityStatus != "QUAL" {
		t.Errorf("Identity = %+v, want %+v", got, want)
	}

	p := docbridge.Pairing{ID: "p", MESPatient: tok.MESPatient, Patient: got, AccessToken: tok.AccessToken}
	if _, err := e.dc.Deliver(ctx, testDoc("urn:oid:1.2.3.1", []byte("%PDF-1 a")), strings.NewReader("%PDF-1 a"), p); err != nil {
		t.Fatalf("Deliver with the paired token: %v", err)
	}
	// The token is scoped to one patient: another patient's document is refused.
	other := testDoc("urn:oid:1.2.3.2", []byte("%PDF-1 b"))
	other.Patient.INS = insB
	if _, err := e.dc.Deliver(ctx, other, strings.NewReader("%PDF-1 b"), p); docbridge.ReasonOf(err) != docbridge.MESRejected {
		t.Errorf("Deliver for another patient: %v, want mes-rejected", err)
	}

	// The access token expires; refresh gives a new one and spends the old refresh token.
	e.clk.Add(11 * time.Minute)
	if _, err := e.dc.Deliver(ctx, testDoc("urn:oid:1.2.3.3", []byte("%PDF-1 c")), strings.NewReader("%PDF-1 c"), p); docbridge.ReasonOf(err) != docbridge.PairingRevoked {
		t.Errorf("Deliver with an expired token: %v, want pairing-revoked (401)", err)
	}
	tok2, err := e.c.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	p.AccessToken = tok2.AccessToken
	if _, err := e.dc.Deliver(ctx, testDoc("urn:oid:1.2.3.3", []byte("%PDF-1 c")), strings.NewReader("%PDF-1 c"), p); err != nil {
		t.Errorf("Deliver after refresh: %v", err)
	}
	if _, err := e.c.Refresh(ctx, tok.RefreshToken); docbridge.ReasonOf(err) != docbridge.PairingRevoked {
		t.Errorf("Refresh with a spent refresh token: %v, want pairing-revoked", err)
	}

	// The patient ends the pairing in MES: refresh and delivery say so.
	e.sim.RevokePatient("mes-A")
	if _, err := e.c.Refresh(ctx, tok2.RefreshToken); docbridge.ReasonOf(err) != docbridge.PairingRevoked {
		t.Errorf("Refresh after the patient revoked: %v, want pairing-revoked", err)
	}
	if _, err := e.dc.Deliver(ctx, testDoc("urn:oid:1.2.3.4", []byte("%PDF-1 d")), strings.NewReader("%PDF-1 d"), p); docbridge.ReasonOf(err) != docbridge.PairingRevoked {
		t.Errorf("Deliver after the patient revoked: %v, want pairing-revoked", err)
	}
}

func TestPairingRefusals(t *testing.T) {
	ctx := context.Background()
	e := newPairingEnv(t)
	verifier, challenge := mes.NewPKCE()
	otherVerifier, _ := mes.NewPKCE()

	if q := consent(t, e.c.AuthorizeURL("s", challenge), "mes-A", "deny"); q.Get("error") != "access_denied" || q.Get("state") != "s" || q.Get("code") != "" {
		t.Errorf("denied consent redirected with %v, want error=access_denied and the state", q)
	}
	q := consent(t, e.c.AuthorizeURL("s", challenge), "mes-A", "approve")
	if _, err := e.c.Exchange(ctx, q.Get("code"), otherVerifier); docbridge.ReasonOf(err) != docbridge.PairingRevoked {
		t.Errorf("Exchange with the wrong PKCE verifier: %v, want invalid_grant (pairing-revoked)", err)
	}
	if _, err := e.c.Exchange(ctx, q.Get("code"), verifier); docbridge.ReasonOf(err) != docbridge.PairingRevoked {
		t.Errorf("Exchange of a code already tried: %v, want invalid_grant", err)
	}
	q = consent(t, e.c.AuthorizeURL("s", challenge), "mes-A", "approve")
	e.clk.Add(2 * time.Minute)
	if _, err := e.c.Exchange(ctx, q.Get("code"), verifier); docbridge.ReasonOf(err) != docbridge.PairingRevoked {
		t.Errorf("Exchange of an expired code: %v, want invalid_grant", err)
	}
	// The service revokes: the pairing ends.
	e.clk.Add(-2 * time.Minute)
	tok := e.pair(t)
	if err := e.c.Revoke(ctx, tok.RefreshToken); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if _, err := e.c.Identity(ctx, tok.AccessToken); docbridge.ReasonOf(err) != docbridge.PairingRevoked {
		t.Errorf("Identity after revocation: %v, want pairing-revoked", err)
	}
	// An unknown client never gets a consent page.
	bad := mes.NewPairingClient(mes.PairingOptions{BaseURL: strings.SplitN(e.c.AuthorizeURL("", ""), "/oauth", 2)[0], ClientID: "stranger", RedirectURL: "https://lab.example/pairing/callback"})
	resp, err := http.Get(bad.AuthorizeURL("s", challenge))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("authorize for an unknown client: HTTP %d, want 400", resp.StatusCode)
	}
}
