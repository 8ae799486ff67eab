package admin

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/metrics"
	"github.com/docbridge/docbridge/internal/store"
)

// camille is the paired test patient (synthetic).
var camille = docbridge.Patient{
	INS: "285047505612322", INSSystem: "urn:oid:1.2.250.1.213.1.4.10",
	BirthName: "DOCBRIDGE-TEST", FirstNames: []string{"CAMILLE", "MARIE-ANNE"},
	BirthDate: "1985-04-17", Sex: "F", BirthPlace: "75056",
	LocalIDs: []docbridge.Identifier{{System: "urn:oid:1.2.250.1.999.42.9", Value: "DBT-000001"}},
}

// auditLine is one call of the fixture's AuditFunc.
type auditLine struct {
	actor string
	doc   int64
	msg   string
}

// fixture is a console over a real store in a temporary directory.
type fixture struct {
	t      *testing.T
	st     *store.Store
	srv    *Server
	ts     *httptest.Server
	mu     sync.Mutex
	audits []auditLine
}

// password is every test user's password; bcrypt.MinCost keeps tests fast.
const password = "correct horse battery staple"

func testHash(t *testing.T) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func newFixture(t *testing.T) *fixture { return newFixtureWith(t, nil) }

// newFixtureWith is newFixture with a last say on the options.
func newFixtureWith(t *testing.T, opt func(*Options)) *fixture {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, st: st}
	h := testHash(t)
	o := Options{
		Store: st,
		Users: []User{{Name: "vera", PasswordHash: h, Role: Viewer}, {Name: "otto", PasswordHash: h, Role: Operator}},
		Audit: func(_ context.Context, actor string, doc int64, msg string) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.audits = append(f.audits, auditLine{actor, doc, msg})
			return nil
		},
		Metrics: metrics.New(metrics.Options{Store: st, Log: zerolog.Nop()}),
		Log:     zerolog.Nop(),
	}
	if opt != nil {
		opt(&o)
	}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	f.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(f.ts.Close)
	return f
}

// pair stores pairing p1 for camille.
func (f *fixture) pair(p docbridge.Patient) {
	f.t.Helper()
	err := f.st.PutPairing(context.Background(), docbridge.Pairing{ID: "p1", MESPatient: "m1", Patient: p, AccessToken: "tok", CreatedAt: time.Now()})
	if err != nil {
		f.t.Fatal(err)
	}
}

// addDoc stores one document for patient p through intake "drop" in state
// with reason, and returns its id.
func (f *fixture) addDoc(uniqueID string, p docbridge.Patient, state docbridge.State, reason docbridge.Reason) int64 {
	f.t.Helper()
	ctx := context.Background()
	raw := []byte("<ClinicalDocument>" + uniqueID + "</ClinicalDocument>")
	acc, err := f.st.AcceptConverted(ctx, &docbridge.Envelope{Intake: "drop", Source: "f.xml", ReceivedAt: time.Now(), Body: strings.NewReader(string(raw))}, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	s1, s256 := sha1.Sum(raw), sha256.Sum256(raw)
	d := &docbridge.Document{UniqueID: uniqueID, Action: docbridge.Create, Title: "CR de biologie", Creation: "2021-04-01T13:47:45+01:00", Patient: p, Content: raw,
		Size: int64(len(raw)), SHA1: hex.EncodeToString(s1[:]), SHA256: hex.EncodeToString(s256[:])}
	refs, err := f.st.RecordConversion(ctx, acc.ID, []store.NewDocument{{Doc: d, State: state, Reason: reason, Message: "test"}})
	if err != nil {
		f.t.Fatal(err)
	}
	return refs[0].ID
}

func (f *fixture) doc(id int64) store.DocRow {
	f.t.Helper()
	r, err := f.st.Document(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// client is a browser: a cookie jar that does not follow redirects.
type client struct {
	f    *fixture
	hc   *http.Client
	csrf string
}

func (f *fixture) anonymous() *client {
	jar, _ := cookiejar.New(nil)
	return &client{f: f, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs user in through the login form and keeps the session's
// CSRF token (read from the dashboard).
func (f *fixture) signIn(user string) *client {
	f.t.Helper()
	c := f.anonymous()
	_, body := c.get("/login")
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		f.t.Fatal("no CSRF token on the login page")
	}
	resp, _ := c.post("/login", url.Values{"csrf": {m[1]}, "user": {user}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		f.t.Fatalf("sign in as %s: status %d", user, resp.StatusCode)
	}
	_, body = c.get("/")
	if m = csrfRe.FindStringSubmatch(body); m == nil {
		f.t.Fatal("no CSRF token on the dashboard")
	}
	c.csrf = m[1]
	return c
}

func (c *client) get(path string) (*http.Response, string) {
	c.f.t.Helper()
	resp, err := c.hc.Get(c.f.ts.URL + path)
	if err != nil {
		c.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (c *client) post(path string, form url.Values) (*http.Response, string) {
	c.f.t.Helper()
	resp, err := c.hc.PostForm(c.f.ts.URL+path, form)
	if err != nil {
		c.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func mustPrefixes(t *testing.T, ss []string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}
