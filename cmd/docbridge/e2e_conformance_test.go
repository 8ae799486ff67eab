package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/conformance"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes/messim"
)

// runConformanceChild runs `docbridge conformance --out DIR args…` as a
// child process against its built-in simulator and returns its exit code,
// its output and the report it wrote.
func runConformanceChild(t *testing.T, args ...string) (int, string, *conformance.Report, string) {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "report")
	log := filepath.Join(dir, "conformance.log")
	cmd := startChild(t, log, append([]string{"conformance", "--out", out}, args...)...)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("docbridge conformance did not end within 2 minutes")
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	output, _ := os.ReadFile(log)
	b, rerr := os.ReadFile(filepath.Join(out, conformance.JSONName))
	if rerr != nil {
		t.Fatalf("no JSON report (exit %d): %v\n%s", code, rerr, output)
	}
	var rep conformance.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("the JSON report: %v", err)
	}
	return code, string(output), &rep, out
}

// TestConformanceEndToEnd: against the built-in simulator every case of
// the book passes and the command exits 0; the report says where it ran,
// and neither file holds a token or the test patient's identity.
func TestConformanceEndToEnd(t *testing.T) {
	code, output, rep, dir := runConformanceChild(t)
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, output)
	}
	if n := len(conformance.Cases()); len(rep.Results) != n || rep.Counts.Passed != n {
		t.Errorf("%d results, %d passed; want %d passed:\n%s", len(rep.Results), rep.Counts.Passed, n, output)
	}
	env := rep.Environment
	if !env.Simulator || !strings.HasPrefix(env.BaseURL, "http://127.0.0.1:") || env.Version == "" || rep.Started.IsZero() {
		t.Errorf("environment %+v, started %v: want the simulator's URL, a version and a date", env, rep.Started)
	}
	for _, r := range rep.Results {
		for _, e := range r.Exchanges {
			for _, h := range e.RequestHeaders {
				if h.Name == "Authorization" && h.Value != "Bearer [masqué]" {
					t.Errorf("%s: Authorization shown as %q", r.ID, h.Value)
				}
			}
		}
	}
	assertConformanceClean(t, dir)
}

// TestConformanceRefusedCase: with the simulator's fault injection set to
// refuse one case, the report shows that case failed with MES's answer and
// the command exits 1; the HTML report opens in a real headless Chromium,
// shows the failure, and its rendered page holds no token or patient
// identity.
func TestConformanceRefusedCase(t *testing.T) {
	code, output, rep, dir := runConformanceChild(t, "--sim-refuse", "documents.resend=422")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, output)
	}
	var refused conformance.Result
	for _, r := range rep.Results {
		if r.ID == "documents.resend" {
			refused = r
		} else if r.Status != conformance.Passed {
			t.Errorf("%s: %s (%s), want passed", r.ID, r.Status, r.Actual)
		}
	}
	if refused.Status != conformance.Failed || !strings.Contains(refused.Actual, "HTTP 422") {
		t.Fatalf("documents.resend: %s %q, want failed with MES's HTTP 422", refused.Status, refused.Actual)
	}
	last := refused.Exchanges[len(refused.Exchanges)-1]
	if last.Status != 422 || !strings.Contains(last.ResponseBody, "OperationOutcome") || !strings.Contains(last.ResponseBody, "fault injected by the simulator") {
		t.Errorf("the refused case's evidence: HTTP %d %q, want MES's 422 OperationOutcome", last.Status, last.ResponseBody)
	}
	assertConformanceClean(t, dir)

	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser part skipped: %s not found (apt-get install chromium)", chromiumPath)
	}
	if testing.Short() {
		t.Skip("browser part skipped in -short mode")
	}
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate("file://"+filepath.Join(dir, conformance.HTMLName)),
		chromedp.WaitVisible(`#cases`),
	); err != nil {
		t.Fatalf("open the HTML report: %v", err)
	}
	lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if err != nil || lang != "fr" {
		t.Errorf("lang = %q (%v), want fr", lang, err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#cases tbody tr').length`))
	if err != nil || rows != len(conformance.Cases()) {
		t.Errorf("the table shows %d cases (%v), want %d", rows, err, len(conformance.Cases()))
	}
	row, err := chromedp.Run(ctx, chromedp.Text(`#row-documents\.resend`))
	if err != nil || !strings.Contains(row, "Échoué") {
		t.Errorf("the refused case's row says %q (%v), want Échoué", row, err)
	}
	detail, err := chromedp.Run(ctx, chromedp.Text(`#case-documents\.resend`))
	if err != nil || !strings.Contains(detail, "HTTP 422") || !strings.Contains(detail, "fault injected by the simulator") {
		t.Errorf("the refused case's details do not show MES's answer (%v):\n%s", err, detail)
	}
	verdict, err := chromedp.Run(ctx, chromedp.Text(`#verdict`))
	if err != nil || !strings.Contains(verdict, "n'ont pas réussi") {
		t.Errorf("verdict %q (%v)", verdict, err)
	}
	dom, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err != nil {
		t.Fatal(err)
	}
	if leak := conformanceLeak(dom); leak != "" {
		t.Errorf("the rendered report holds %s", leak)
	}
}

// tokenLike matches the simulator's tokens, authorization codes and
// consent request ids (32 random bytes in hex).
var tokenLike = regexp.MustCompile(`[0-9a-f]{64}`)

// measurementID is a measurement's id, a hash of its source key: not a
// secret, though it looks like one.
var measurementID = regexp.MustCompile(regexp.QuoteMeta(docbridge.MeasurementIDPrefix) + `[0-9a-f]{64}`)

// conformanceLeak names what of a token or of the test patient's identity
// s holds, or "".
func conformanceLeak(s string) string {
	if m := tokenLike.FindString(measurementID.ReplaceAllString(s, "")); m != "" {
		return "a token-like value"
	}
	p := conformance.SimulatorPatient
	low := strings.ToLower(s)
	for _, v := range append([]string{p.INS, p.BirthName, p.BirthDate, strings.ReplaceAll(p.BirthDate, "-", ""), p.BirthPlace}, p.FirstNames...) {
		if strings.Contains(low, strings.ToLower(v)) {
			return "a trait of the test patient"
		}
	}
	return ""
}

// assertConformanceClean checks both report files for leaks.
func assertConformanceClean(t *testing.T, dir string) {
	t.Helper()
	for _, name := range []string{conformance.JSONName, conformance.HTMLName} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if leak := conformanceLeak(string(b)); leak != "" {
			t.Errorf("%s holds %s", name, leak)
		}
	}
}

// TestConformanceTestEnvironment: with -c the book runs against the MES of
// the configuration as against a MES test environment: the command prints
// each authorization URL, the "editor" (this test, as the browser) answers
// the consent page, and MES's redirect reaches the command's callback on
// pairing.addr. Every case passes but the two that need the simulator's
// fault injection, which are not applicable; the command exits 0.
func TestConformanceTestEnvironment(t *testing.T) {
	maps, err := mappings.Load("")
	if err != nil {
		t.Fatal(err)
	}
	sim, srv := messim.NewTestServer(t, messim.Options{Codes: maps, Clients: map[string]string{"lab-test": "Laboratoire de test"}})
	sim.AddIdentity(conformance.SimulatorPatientID, conformance.SimulatorPatient)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "docbridge.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("environment: test\ndata: %s\nmes: {base_url: %q}\npairing: {addr: %q, client_id: lab-test}\n",
		filepath.Join(dir, "data"), srv.URL, freeAddr(t))), 0o600); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "conformance.log")
	out := filepath.Join(dir, "report")
	cmd := startChild(t, log, "conformance", "-c", cfg, "--out", out)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// The browser: answer each consent the command asks for, in order, and
	// follow MES's redirect to the command's callback.
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
	asks := regexp.MustCompile(`(AUTORISEZ|REFUSEZ) l'accès :\s+(\S+)`)
	var answered []string
	var exit error
wait:
	for deadline := time.Now().Add(2 * time.Minute); ; {
		select {
		case exit = <-done:
			break wait
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("docbridge conformance did not end within 2 minutes")
		}
		b, _ := os.ReadFile(log)
		for _, m := range asks.FindAllStringSubmatch(string(b), -1)[len(answered):] {
			cb, err := conformance.SimulatorConsent{HTTP: browser, Patient: conformance.SimulatorPatientID}.Ask(t.Context(), m[2], m[1] == "AUTORISEZ")
			if err != nil {
				t.Fatalf("consent: %v", err)
			}
			resp, err := browser.Get(cb.String())
			if err != nil {
				t.Fatalf("follow the redirect to the callback: %v", err)
			}
			resp.Body.Close()
			answered = append(answered, m[1])
		}
	}
	output, _ := os.ReadFile(log)
	if exit != nil {
		t.Fatalf("exit: %v\n%s", exit, output)
	}
	if got, want := strings.Join(answered, ","), "REFUSEZ,AUTORISEZ"; got != want {
		t.Errorf("consents asked %s, want %s", got, want)
	}
	b, err := os.ReadFile(filepath.Join(out, conformance.JSONName))
	if err != nil {
		t.Fatal(err)
	}
	var rep conformance.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Environment.Simulator || rep.Environment.BaseURL != srv.URL || rep.Environment.ClientID != "lab-test" {
		t.Errorf("environment %+v, want the configuration's MES, not the simulator", rep.Environment)
	}
	for _, c := range conformance.Cases() {
		want := conformance.Passed
		if c.SimFault != 0 {
			want = conformance.NotApplicable
		}
		for _, r := range rep.Results {
			if r.ID == c.ID && r.Status != want {
				t.Errorf("%s: %s (%s), want %s", r.ID, r.Status, r.Actual, want)
			}
		}
	}
	assertConformanceClean(t, out)
}
