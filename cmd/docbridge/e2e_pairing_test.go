package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes/messim"
	"github.com/docbridge/docbridge/samples"
)

// TestEndToEndPairing: documents for an unpaired patient are held; the
// patient pairs through the simulator's consent page, driven over HTTP;
// the held documents are then delivered without anyone touching them;
// after the patient revokes the pairing in MES, new documents are held
// with pairing-revoked. Tokens are encrypted on disk.
func TestEndToEndPairing(t *testing.T) {
	maps, err := mappings.Load("")
	if err != nil {
		t.Fatal(err)
	}
	sim := messim.New(messim.Options{Codes: maps, Clients: map[string]string{"docbridge-e2e": "Laboratoire des tests (docbridge)"}})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	var ps []docbridge.Pairing
	b, _ := fs.ReadFile(samples.FS, "pairings.json")
	if err := json.Unmarshal(b, &ps); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		sim.AddIdentity(p.MESPatient, p.Patient) // known to MES, not paired with docbridge
	}
	mesPatient := ps[0].MESPatient

	e := &e2e{t: t, dir: t.TempDir(), sim: sim}
	e.cfg = filepath.Join(e.dir, "docbridge.yaml")
	keyFile := filepath.Join(e.dir, "token.key")
	os.WriteFile(keyFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	addr := freeAddr(t)
	cfg := fmt.Sprintf(`environment: test
data: data
log: {level: info, format: json}
mes: {base_url: %q}
delivery: {retry_base: 100ms, retry_max: 1s}
identity: {hold_max: 720h}
security: {key_file: token.key}
pairing: {addr: %q, client_id: docbridge-e2e, service_name: Laboratoire des tests}
folders:
  - {name: drop, path: drop, settle: 300ms, rescan: 1s}
`, srv.URL, addr)
	if err := os.WriteFile(e.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := e.start()

	first := dropCopiesFrom(t, e.dir, 0, 3)
	e.waitFor("3 documents held not-paired", time.Minute, func() bool { return e.countIn(docbridge.Held, docbridge.NotPaired) == 3 })
	if e.sim.Count() != 0 {
		t.Fatalf("the simulator holds %d documents before pairing", e.sim.Count())
	}

	// The patient pairs: docbridge start → MES consent → approve → docbridge callback.
	page := pairThroughConsent(t, "http://"+addr+"/start", mesPatient)
	if !strings.Contains(page, `<main id="paired">`) {
		t.Fatalf("callback page: %s", page)
	}
	e.waitFor("the held documents delivered", time.Minute, func() bool { return e.sim.Count() == 3 && e.delivered() == 3 })
	for _, d := range e.sim.Documents() {
		if !first[d.UniqueID] || d.Patient != mesPatient {
			t.Errorf("simulator holds %s for %s, want one of the first drop for %s", d.UniqueID, d.Patient, mesPatient)
		}
	}

	// The patient ends the pairing in MES: new documents are held.
	e.sim.RevokePatient(mesPatient)
	dropCopiesFrom(t, e.dir, 100, 2)
	e.waitFor("2 documents held pairing-revoked", time.Minute, func() bool { return e.countIn(docbridge.Held, docbridge.PairingRevoked) == 2 })
	if got := e.sim.Count(); got != 3 {
		t.Errorf("simulator holds %d documents after the revocation, want 3", got)
	}
	stopDaemon(t, cmd)

	// Tokens on disk are not readable as plain text.
	key, _ := parseTokenKey([]byte(strings.Repeat("ab", 32)))
	st, err := store.Open(context.Background(), store.Options{Dir: filepath.Join(e.dir, "data"), TokenKey: key})
	if err != nil {
		t.Fatal(err)
	}
	pairings, err := st.Pairings(context.Background())
	st.Close()
	if err != nil || len(pairings) != 1 || !pairings[0].Revoked || pairings[0].AccessToken == "" || pairings[0].RefreshToken == "" {
		t.Fatalf("pairings = %+v, %v; want one revoked pairing with tokens", pairings, err)
	}
	assertNotOnDisk(t, filepath.Join(e.dir, "data"), pairings[0].AccessToken, pairings[0].RefreshToken)
	log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
	assertNoPatientData(t, string(log))
	if !strings.Contains(string(log), pairings[0].ID) {
		t.Errorf("the daemon log does not name pairing %s", pairings[0].ID)
	}
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)">`)

// pairThroughConsent plays the patient's browser and returns docbridge's
// final page. It waits for the pairing endpoint to listen.
func pairThroughConsent(t *testing.T, start, mesPatient string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	var resp *http.Response
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err = hc.Get(start); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("GET start: %v", err)
	}
	var page bytes.Buffer
	page.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(page.String(), "Laboratoire des tests (docbridge)") || !strings.Contains(page.String(), "Documents") {
		t.Fatalf("consent page: HTTP %d\n%s", resp.StatusCode, page.String())
	}
	form := url.Values{"patient": {mesPatient}, "decision": {"approve"}}
	for _, m := range hiddenInput.FindAllStringSubmatch(page.String(), -1) {
		form.Set(m[1], m[2])
	}
	u := resp.Request.URL
	resp, err = hc.PostForm(u.Scheme+"://"+u.Host+"/oauth/authorize", form)
	if err != nil {
		t.Fatalf("POST consent: %v", err)
	}
	page.Reset()
	page.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasSuffix(resp.Request.URL.Path, "/callback") {
		t.Fatalf("after consent: HTTP %d at %s\n%s", resp.StatusCode, resp.Request.URL.Path, page.String())
	}
	return page.String()
}

// dropCopiesFrom drops n copies of the sample lab report with document
// ids numbered from offset, and returns their ids.
func dropCopiesFrom(t *testing.T, dir string, offset, n int) map[string]bool {
	t.Helper()
	tmpl, err := fs.ReadFile(samples.FS, "cr-bio-n1-pdf.xml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`<id root="([0-9.]+)"`).FindSubmatchIndex(tmpl)
	root := string(tmpl[m[2]:m[3]])
	drop := filepath.Join(dir, "drop")
	os.MkdirAll(drop, 0o750)
	ids := map[string]bool{}
	for i := offset; i < offset+n; i++ {
		newRoot := fmt.Sprintf("%s.%d", root, 5000+i)
		doc := append(append(append([]byte{}, tmpl[:m[2]]...), newRoot...), tmpl[m[3]:]...)
		name := fmt.Sprintf("pairing-%03d.xml", i)
		tmp := filepath.Join(drop, "."+name+".part")
		if err := os.WriteFile(tmp, doc, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(drop, name)); err != nil {
			t.Fatal(err)
		}
		ids["urn:oid:"+newRoot] = true
	}
	return ids
}

// countIn counts the daemon's documents in this state with this reason.
func (e *e2e) countIn(state docbridge.State, reason docbridge.Reason) int {
	st, err := store.Open(context.Background(), store.Options{Dir: filepath.Join(e.dir, "data")})
	if err != nil {
		return 0
	}
	defer st.Close()
	rows, err := st.Documents(context.Background(), store.Filter{State: state, Reason: reason})
	if err != nil {
		return 0
	}
	return len(rows)
}

// assertNotOnDisk fails when a file under dir holds one of the secrets.
func assertNotOnDisk(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds a pairing token in clear", filepath.Base(path))
			}
		}
		return nil
	})
}
