package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes/messim"
	"github.com/docbridge/docbridge/samples"
)

// TestBrowserPairingPages drives the patient's side of the pairing with a
// real headless Chromium against `docbridge serve` (a child process) and
// the MES simulator: every page the patient sees is in French
// (lang="fr"), the consent page names the service (pairing.service_name),
// not docbridge, and the refusal and "link not valid" pages lead back to
// the start of the pairing, from which the patient pairs.
func TestBrowserPairingPages(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser test skipped: %s not found (apt-get install chromium)", chromiumPath)
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	const service = "Laboratoire des charmes"
	maps, err := mappings.Load("")
	if err != nil {
		t.Fatal(err)
	}
	sim := messim.New(messim.Options{Codes: maps, Clients: map[string]string{"lab-charmes": service}})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	var ps []docbridge.Pairing
	b, _ := fs.ReadFile(samples.FS, "pairings.json")
	if err := json.Unmarshal(b, &ps); err != nil {
		t.Fatal(err)
	}
	sim.AddIdentity(ps[0].MESPatient, ps[0].Patient)

	e := &e2e{t: t, dir: t.TempDir(), sim: sim}
	e.cfg = filepath.Join(e.dir, "docbridge.yaml")
	os.WriteFile(filepath.Join(e.dir, "token.key"), []byte(strings.Repeat("cd", 32)+"\n"), 0o600)
	addr := freeAddr(t)
	cfg := fmt.Sprintf(`environment: test
data: data
log: {level: info, format: json}
mes: {base_url: %q}
security: {key_file: token.key}
pairing: {addr: %q, client_id: lab-charmes, service_name: %s}
folders:
  - {name: drop, path: drop, settle: 300ms, rescan: 1s}
`, srv.URL, addr, service)
	if err := os.WriteFile(e.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e.start()
	base := "http://" + addr
	e.waitFor("the pairing endpoints", 30*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})

	ctx := newBrowser(t)
	// page checks the page the browser shows: French, and its text.
	page := func(what, sel string, wants ...string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.WaitVisible(sel)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
		if err != nil {
			t.Fatal(err)
		}
		if lang != "fr" {
			t.Errorf("%s: lang=%q, want fr", what, lang)
		}
		text, err := chromedp.Run(ctx, chromedp.Text(`body`))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range wants {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the page does not say %q:\n%s", what, want, text)
			}
		}
		if strings.Contains(strings.ToLower(text), "docbridge") {
			t.Errorf("%s: the page names docbridge, not the service:\n%s", what, text)
		}
	}
	consent := func(what string) {
		t.Helper()
		page(what, `button[value=approve]`, "Autoriser « "+service+" »")
	}
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	do("start", chromedp.Navigate(base+"/start"))
	consent("the consent page")
	do("refuse", chromedp.Click(`button[value=deny]`))
	page("the refusal page", `main#refused`, "Vous n'avez pas autorisé", "Recommencer")
	do("start again after refusing", chromedp.Click(`#again`))
	consent("the consent page, again")

	do("a link from another browser", chromedp.Navigate(base+"/callback?state=forged&code=x"))
	page("the link-not-valid page", `main#not-valid`, "n'est pas valable", "Recommencer")
	do("start again from the link-not-valid page", chromedp.Click(`#again`))
	consent("the consent page, from the link-not-valid page")
	do("approve", chromedp.Click(`button[value=approve]`))
	page("the success page", `main#paired`, "relié à "+service)
}
