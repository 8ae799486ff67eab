package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
	"github.com/docbridge/docbridge/mes/messim"
	"github.com/docbridge/docbridge/samples"
)

// TestEndToEndConsoleHostile plays an attacker on the lab network against
// the real daemon's console and pairing endpoints (issue 18, items 4–7):
// 300 wrong passwords lock that account from that address — the right
// password is then refused — while another account from the same address
// and the same account from another address still sign in, and the audit
// trail grows by two records, not 300; every open-redirect form of next=
// stays on the console; a patient search goes by POST and a key in the URL
// is not searched; 10,000 anonymous /start requests do not stop a patient
// pairing through the simulator during the flood. The daemon log holds no
// patient data.
func TestEndToEndConsoleHostile(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	e := newE2EWith(t, messim.Options{Clients: map[string]string{"docbridge-e2e": "Laboratoire des tests (docbridge)"}})
	var ps []docbridge.Pairing
	b, _ := fs.ReadFile(samples.FS, "pairings.json")
	if err := json.Unmarshal(b, &ps); err != nil {
		t.Fatal(err)
	}
	e.sim.AddIdentity(ps[0].MESPatient, ps[0].Patient) // pairs again through the consent page
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret-pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(e.dir, "token.key"), []byte(strings.Repeat("cd", 32)+"\n"), 0o600)
	consoleAddr, pairingAddr := freeAddr(t), freeAddr(t)
	appendConfig(t, e.cfg, fmt.Sprintf(`security: {key_file: token.key}
pairing: {addr: %q, client_id: docbridge-e2e, service_name: Laboratoire des tests}
admin:
  addr: %q
  users:
    - {name: otto, password_hash: %q, role: operator}
    - {name: vera, password_hash: %q, role: viewer}
`, pairingAddr, consoleAddr, hash, hash))
	daemon := e.start()
	base := "http://" + consoleAddr
	e.waitFor("the console to be ready", 30*time.Second, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	t.Run("brute force", func(t *testing.T) {
		begin := time.Now()
		statuses := map[int]int{}
		for range 300 {
			statuses[consoleSignIn(t, base, "127.0.0.1", "otto", "guess", "").StatusCode]++
		}
		t.Logf("300 wrong passwords in %v: HTTP statuses %v", time.Since(begin).Round(time.Millisecond), statuses)
		if statuses[http.StatusUnauthorized] != 5 || statuses[http.StatusTooManyRequests] != 295 {
			t.Errorf("300 wrong passwords: statuses %v, want 5 × 401 then 295 × 429", statuses)
		}
		resp := consoleSignIn(t, base, "127.0.0.1", "otto", "s3cret-pass", "")
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Errorf("right password after the attack: HTTP %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		if got := consoleSignIn(t, base, "127.0.0.1", "vera", "s3cret-pass", "").StatusCode; got != http.StatusSeeOther {
			t.Errorf("another account from the attacker's address: HTTP %d, want 303", got)
		}
		if got := consoleSignIn(t, base, "127.0.0.2", "otto", "s3cret-pass", "").StatusCode; got != http.StatusSeeOther {
			t.Errorf("the attacked account from another address: HTTP %d, want 303", got)
		}
		refused, locked := e.signInAudits()
		if refused != 1 || locked != 1 {
			t.Errorf("audit records: %d refusals and %d locks for 300 wrong passwords, want 1 and 1", refused, locked)
		}
	})

	t.Run("open redirect", func(t *testing.T) {
		for _, next := range []string{"//evil.example/", "/\t/evil.example/", "/\\evil.example/", "/\\\\evil.example/",
			"%2F%2Fevil.example/", "/%2F/evil.example/", "/%5Cevil.example/", "https://evil.example/", "/%09/evil.example/",
			"/%0a/evil.example/", "\t//evil.example/", "/%252F%252Fevil.example/"} {
			resp := consoleSignIn(t, base, "127.0.0.3", "vera", "s3cret-pass", next)
			if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != "/" {
				t.Errorf("next=%q: HTTP %d to %q, want 303 to /", next, resp.StatusCode, got)
			}
		}
		const local = "/documents?state=review"
		if got := consoleSignIn(t, base, "127.0.0.3", "vera", "s3cret-pass", local).Header.Get("Location"); got != local {
			t.Errorf("next=%q: redirected to %q, want it kept", local, got)
		}
	})

	t.Run("patient search by POST", func(t *testing.T) {
		hc, csrf := signedIn(t, base, "vera")
		ins := ps[0].Patient.INS
		resp, err := hc.PostForm(base+"/documents", url.Values{"csrf": {csrf}, "kind": {"ins"}, "key": {ins}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("search by POST: HTTP %d, want 200", resp.StatusCode)
		}
		resp, err = hc.PostForm(base+"/documents", url.Values{"kind": {"ins"}, "key": {ins}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("search without the CSRF token: HTTP %d, want 403", resp.StatusCode)
		}
		resp, err = hc.Get(base + "/documents?kind=ins&key=" + ins)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(page), ins) || !strings.Contains(string(page), "ignored") {
			t.Errorf("a GET with the INS in the URL: the page echoes it or does not say it was ignored")
		}
		searches := 0
		for _, r := range e.auditRecords() {
			if r.Kind == audit.Admin && strings.HasPrefix(r.Message, "console document search by patient") {
				searches++
			}
		}
		if searches != 1 {
			t.Errorf("%d patient searches audited, want 1 (the POST)", searches)
		}
	})

	t.Run("start flood", func(t *testing.T) {
		start := "http://" + pairingAddr + "/start"
		noFollow := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
		var sent, refused atomic.Int64
		var wg sync.WaitGroup
		rssBefore := rssKiB(daemon.Process.Pid)
		begin := time.Now()
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for sent.Add(1) <= 10000 {
					resp, err := noFollow.Get(start)
					if err != nil {
						refused.Add(1)
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusFound {
						refused.Add(1)
					}
				}
			}()
		}
		// The patient pairs while the flood runs.
		time.Sleep(200 * time.Millisecond)
		page := pairThroughConsent(t, start, ps[0].MESPatient)
		patientDone := time.Since(begin)
		wg.Wait()
		t.Logf("10,000 /start in %v (%d not redirected to MES); the patient paired %v into the flood; daemon RSS %d → %d KiB",
			time.Since(begin).Round(time.Millisecond), refused.Load(), patientDone.Round(time.Millisecond), rssBefore, rssKiB(daemon.Process.Pid))
		if !strings.Contains(page, `<main id="paired">`) {
			t.Errorf("the patient's pairing during the flood: %s", page)
		}
		if refused.Load() != 0 {
			t.Errorf("%d /start requests of the flood were refused, want none (nothing is stored per start)", refused.Load())
		}
		// And after it.
		if page := pairThroughConsent(t, start, ps[0].MESPatient); !strings.Contains(page, `<main id="paired">`) {
			t.Errorf("the patient's pairing after the flood: %s", page)
		}
	})

	log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
	assertNoPatientData(t, string(log))
}

// rssKiB is the resident memory of process pid, from /proc (0 when it
// cannot be read: the figure is only logged).
func rssKiB(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

// consoleSignIn signs in through the form from local address from (any
// 127.0.0.0/8 address: Linux routes them all to the loopback), asking to
// go to next, and returns the answer to the form; redirects are not
// followed.
func consoleSignIn(t *testing.T, base, from, user, password, next string) *http.Response {
	t.Helper()
	hc := fromClient(from)
	resp, err := hc.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := consoleCSRF.FindStringSubmatch(string(page))
	if m == nil {
		t.Fatalf("no CSRF token on the sign-in page: HTTP %d", resp.StatusCode)
	}
	// Through the transport, so that a Location the client could not parse
	// (a control character) is still seen.
	form := url.Values{"csrf": {m[1]}, "user": {user}, "password": {password}, "next": {next}}
	req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range hc.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	resp, err = hc.Transport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

var consoleCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// fromClient is a browser with a cookie jar whose connections leave from
// local address from, and which does not follow redirects.
func fromClient(from string) *http.Client {
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		Transport:     &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signedIn signs user in from 127.0.0.4 and returns the browser and the
// session's CSRF token.
func signedIn(t *testing.T, base, user string) (*http.Client, string) {
	t.Helper()
	hc := fromClient("127.0.0.4")
	resp, err := hc.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp, err = hc.PostForm(base+"/login", url.Values{"csrf": {consoleCSRF.FindStringSubmatch(string(page))[1]}, "user": {user}, "password": {"s3cret-pass"}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %v %v", user, resp.StatusCode, err)
	}
	resp.Body.Close()
	resp, err = hc.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	m := consoleCSRF.FindStringSubmatch(string(page))
	if m == nil {
		t.Fatalf("no CSRF token on the dashboard: HTTP %d", resp.StatusCode)
	}
	return hc, m[1]
}

// auditRecords returns the daemon's audit trail, read from its store.
func (e *e2e) auditRecords() []audit.Record {
	e.t.Helper()
	st, err := e.openStore()
	if err != nil {
		e.t.Fatal(err)
	}
	defer st.Close()
	var out []audit.Record
	for r, err := range st.AuditRecords(context.Background()) {
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// signInAudits counts the audit records of refused and locked sign-ins.
func (e *e2e) signInAudits() (refused, locked int) {
	for _, r := range e.auditRecords() {
		switch {
		case r.Kind == audit.Admin && strings.HasPrefix(r.Message, "console sign-in refused"):
			refused++
		case r.Kind == audit.Admin && strings.HasPrefix(r.Message, "console sign-in locked"):
			locked++
		}
	}
	return refused, locked
}
