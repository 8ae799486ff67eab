package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/docbridge/docbridge/samples"
)

// chromiumPath is Debian's Chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

var screenshots = flag.String("screenshots", "", "write the console screenshots of TestBrowserReview (dashboard.png, review-diff.png) to `DIR`")

// mismatchRoot is the document id of the identity-mismatch document the
// browser test makes from a sample.
const mismatchRoot = "1.2.250.1.999.42.1.9001"

// TestBrowserReview drives the console with a real headless Chromium: the
// daemon runs as a child process with the console on; a document whose
// patient's birth date differs by one day from the pairing goes to review;
// an operator signs in through the form, finds it in the review list,
// opens it, sees the trait diff, confirms it, and sees it delivered, which
// the MES simulator confirms.
func TestBrowserReview(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser test skipped: %s not found (apt-get install chromium)", chromiumPath)
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	e := newE2E(t)
	addr := freeAddr(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret-pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	appendConfig(t, e.cfg, fmt.Sprintf(`admin:
  addr: %q
  users:
    - {name: otto, password_hash: %q, role: operator}
  stall: {no_intake: 6h, oldest_pending: 30m}
`, addr, hash))
	e.start()
	base := "http://" + addr
	e.waitFor("the console to be ready", 30*time.Second, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	for _, name := range []string{"cr-bio-n1-pdf.xml", "lettre-liaison-sortie.xml", "refused-bad-ins-key.xml", "refused-unknown-type.xml", "held-unpaired-patient.xml"} {
		e.dropSample(name, nil)
	}
	e.dropSample("cr-bio-n1-pdf.xml", func(b []byte) []byte {
		b = bytes.Replace(b, []byte(`<id root="1.2.250.1.999.42.1.1001"/>`), []byte(`<id root="`+mismatchRoot+`"/>`), 1)
		return bytes.Replace(b, []byte(`<birthTime value="19850417"/>`), []byte(`<birthTime value="19850418"/>`), 1)
	})
	e.waitFor("2 deliveries and the review", time.Minute, func() bool { return e.sim.Count() == 2 && e.delivered() == 2 })

	ctx := newBrowser(t)
	var review string
	steps := []struct {
		what string
		do   []chromedp.Action[chromedp.Void]
	}{
		{"sign in", []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(base + "/"),
			chromedp.WaitVisible(`input[name=user]`),
			chromedp.SendKeys(`input[name=user]`, "otto"),
			chromedp.SendKeys(`input[name=password]`, "s3cret-pass"),
			chromedp.Submit(`input[name=password]`),
			chromedp.WaitVisible(`section.cards`),
		}},
		{"open the review list", []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(base + "/documents?state=review&reason=identity-mismatch"),
			chromedp.WaitVisible(`table.list`),
		}},
	}
	for _, s := range steps {
		if err := chromedp.Do(ctx, s.do...); err != nil {
			t.Fatalf("%s: %v", s.what, err)
		}
	}
	shot(t, ctx, base+"/", "dashboard.png", `section.cards`)

	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/documents?state=review&reason=identity-mismatch"),
		chromedp.Click(`table.list tbody tr td a`),
		chromedp.WaitVisible(`#diff`),
	); err != nil {
		t.Fatalf("open the document in review: %v", err)
	}
	if review, err = chromedp.Run(ctx, chromedp.Text(`#review`)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"birthDate", "1985-04-18", "1985-04-17"} {
		if !strings.Contains(review, want) {
			t.Errorf("the review section does not show %q:\n%s", want, review)
		}
	}
	if *screenshots != "" {
		if err := chromedp.Do(ctx, chromedp.SendKeys(`#note`, "Birth date checked on the patient's ID card: the lab mistyped it")); err != nil {
			t.Fatal(err)
		}
		shot(t, ctx, "", "review-diff.png", `#diff`)
		chromedp.Do(ctx, chromedp.Clear(`#note`))
	}
	// The confirmation is a form POST: wait for its answer (the page after
	// it has no review section: the document left review) before
	// reloading, or a reload could abort the POST on a loaded machine.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(`#note`, "Birth date checked on the patient's ID card"),
		chromedp.Click(`#confirm`),
		chromedp.WaitNotPresent(`#review`),
		chromedp.WaitVisible(`#state`),
	); err != nil {
		t.Fatalf("confirm: %v", err)
	}
	var state string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(`#state`)); err != nil {
			t.Fatal(err)
		}
		if state, err = chromedp.Run(ctx, chromedp.Text(`#state`)); err != nil {
			t.Fatal(err)
		}
		if state == "delivered" {
			break
		}
	}
	if state != "delivered" {
		t.Fatalf("the document page shows %q after the confirmation, want delivered", state)
	}
	found := false
	for _, d := range e.sim.Documents() {
		found = found || strings.Contains(d.UniqueID, mismatchRoot)
	}
	if !found || e.sim.Count() != 3 {
		t.Errorf("the simulator holds %d documents, the confirmed one %v; want 3 with it", e.sim.Count(), found)
	}

	// The patient search goes through the form, by POST: the INS never
	// appears in the address (nor in history or access logs).
	const ins = "285047505612322" // the sample patient's
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/documents"),
		chromedp.WaitVisible(`input[name=key]`),
		chromedp.SetValue(`select[name=kind]`, "ins"),
		chromedp.SendKeys(`input[name=key]`, ins),
		chromedp.Submit(`input[name=key]`),
		chromedp.WaitVisible(`table.list tbody tr td a`),
	); err != nil {
		t.Fatalf("patient search: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(loc, ins) || !strings.HasSuffix(loc, "/documents") {
		t.Errorf("after a patient search the address is %q, want %s/documents without the INS", loc, base)
	}
	log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
	assertNoPatientData(t, string(log))
}

// newBrowser starts headless Chromium with the flags this closed network
// needs and a fresh profile; it is stopped when the test ends.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// shot writes a full-page PNG of url (or the current page when url is
// empty) to the -screenshots directory, once sel is visible.
func shot(t *testing.T, ctx context.Context, url, name, sel string) {
	t.Helper()
	if *screenshots == "" {
		return
	}
	var steps []chromedp.Action[chromedp.Void]
	if url != "" {
		steps = append(steps, chromedp.Navigate(url))
	}
	if err := chromedp.Do(ctx, append(steps, chromedp.WaitVisible(sel))...); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(*screenshots, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// dropSample writes a sample (changed by edit, when not nil) into the drop
// folder under a temporary name and renames it in.
func (e *e2e) dropSample(name string, edit func([]byte) []byte) {
	e.t.Helper()
	b, err := fs.ReadFile(samples.FS, name)
	if err != nil {
		e.t.Fatal(err)
	}
	if edit != nil {
		b = edit(b)
		name = "edited-" + name
	}
	drop := filepath.Join(e.dir, "drop")
	os.MkdirAll(drop, 0o750)
	tmp := filepath.Join(drop, "."+name+".part")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		e.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(drop, name)); err != nil {
		e.t.Fatal(err)
	}
}

// freeAddr returns a loopback address with a port free at the time.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// appendConfig adds YAML to a configuration file.
func appendConfig(t *testing.T, path, yaml string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(yaml); err != nil {
		t.Fatal(err)
	}
}
