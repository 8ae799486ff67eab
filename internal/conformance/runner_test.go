package conformance

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes"
)

// TestRunAgainstSimulator: every case of the book passes against the
// simulator, in the book's order, and each case recorded its exchanges.
func TestRunAgainstSimulator(t *testing.T) {
	rep, sim := simRun(t, nil, nil)
	if !rep.OK() {
		t.Fatalf("the book did not pass:\n%s", describe(rep))
	}
	var ids []string
	for _, r := range rep.Results {
		ids = append(ids, r.ID)
		if r.Status != Passed {
			t.Errorf("%s: %s", r.ID, r.Status)
		}
		if len(r.Exchanges) == 0 {
			t.Errorf("%s recorded no exchange", r.ID)
		}
	}
	var want []string
	for _, c := range Cases() {
		want = append(want, c.ID)
	}
	if !slices.Equal(ids, want) {
		t.Errorf("ran %v, want %v", ids, want)
	}
	if got, want := rep.APIs, APIs; !slices.Equal(got, want) {
		t.Errorf("APIs = %v, want %v", got, want)
	}
	// publish created one document, replace another; the error cases none.
	if got, want := sim.Count(), 2; got != want {
		t.Errorf("the simulator holds %d documents, want %d", got, want)
	}
}

// TestRunRefusedCase: a case the simulator refuses fails with MES's
// answer in its evidence, and the run is not OK.
func TestRunRefusedCase(t *testing.T) {
	rep, _ := simRun(t, []API{APIPairing}, map[string]int{"pairing.refresh": http.StatusBadGateway})
	if rep.OK() {
		t.Fatalf("the run is OK with a refused case:\n%s", describe(rep))
	}
	r := result(t, rep, "pairing.refresh")
	if r.Status != Failed {
		t.Fatalf("pairing.refresh: %s, want failed", r.Status)
	}
	if !strings.Contains(r.Actual, "502") {
		t.Errorf("actual %q does not give MES's status", r.Actual)
	}
	last := r.Exchanges[len(r.Exchanges)-1]
	if last.Status != http.StatusBadGateway || !strings.Contains(last.ResponseBody, "fault injected by the simulator") {
		t.Errorf("last exchange: HTTP %d %q, want MES's 502 and its OperationOutcome", last.Status, last.ResponseBody)
	}
	if got := rep.Counts.Failed; got != 1 {
		t.Errorf("%d failed, want 1:\n%s", got, describe(rep))
	}
}

// TestRunSelection: --only runs the cases of the APIs asked for, each
// once, in the book's order (TestRunUnavailableAPI: an API without cases).
func TestRunSelection(t *testing.T) {
	tests := []struct {
		only        string
		ok          bool
		unavailable []string
		first       string
	}{
		{"documents", true, nil, "documents.publish"},
		{"mesures", true, nil, "mesures.publish"},
		{"pairing,agenda,agenda", true, nil, "pairing.consent-refused"},
	}
	for _, tt := range tests {
		apis, err := ParseAPIs(tt.only)
		if err != nil {
			t.Fatal(err)
		}
		rep, _ := simRun(t, apis, nil)
		if rep.OK() != tt.ok {
			t.Errorf("--only %s: OK %v, want %v:\n%s", tt.only, rep.OK(), tt.ok, describe(rep))
		}
		var un []string
		for _, r := range rep.Results {
			if r.Status == Unavailable {
				un = append(un, r.ID)
				if !strings.Contains(r.Actual, "Non disponible dans cette version") {
					t.Errorf("--only %s: %s says %q", tt.only, r.ID, r.Actual)
				}
			} else if !slices.Contains(apis, r.API) {
				t.Errorf("--only %s ran %s", tt.only, r.ID)
			}
		}
		if !slices.Equal(un, tt.unavailable) {
			t.Errorf("--only %s: unavailable %v, want %v", tt.only, un, tt.unavailable)
		}
		if rep.Results[0].ID != tt.first {
			t.Errorf("--only %s: first result %s, want %s", tt.only, rep.Results[0].ID, tt.first)
		}
	}
	if _, err := ParseAPIs("documents,factures"); err == nil {
		t.Error("ParseAPIs accepted an unknown API")
	}
}

// TestRunUnavailableAPI: an API asked for that the book has no case for
// is reported unavailable and fails the run.
func TestRunUnavailableAPI(t *testing.T) {
	rep, _ := simRunWith(t, []API{APIPairing, APIAgenda}, nil, func(o *Options, _ *http.Client) {
		o.Cases = slices.DeleteFunc(Cases(), func(c Case) bool { return c.API == APIAgenda })
	})
	var un []string
	for _, r := range rep.Results {
		if r.Status == Unavailable {
			un = append(un, r.ID)
		}
	}
	if rep.OK() || !slices.Equal(un, []string{"agenda"}) {
		t.Errorf("OK %v, unavailable %v; want a failed run with agenda unavailable:\n%s", rep.OK(), un, describe(rep))
	}
}

// TestRunTestEnvironment: against a MES test environment the cases that
// need the simulator's fault injection are not applicable, and do not fail
// the run.
func TestRunTestEnvironment(t *testing.T) {
	rep, _ := simRunWith(t, nil, nil, func(o *Options, _ *http.Client) { o.Environment.Simulator = false })
	if !rep.OK() {
		t.Fatalf("the run is not OK:\n%s", describe(rep))
	}
	for _, c := range Cases() {
		r := result(t, rep, c.ID)
		want := Passed
		if c.SimFault != 0 {
			want = NotApplicable
		}
		if r.Status != want {
			t.Errorf("%s: %s, want %s", c.ID, r.Status, want)
		}
		if want == NotApplicable && len(r.Exchanges) != 0 {
			t.Errorf("%s sent %d requests, want none", c.ID, len(r.Exchanges))
		}
	}
	if got, want := rep.Counts.NotApplicable, 2; got != want {
		t.Errorf("%d not applicable, want %d", got, want)
	}
}

// TestManualConsent: the editor is shown the authorization URL and what
// to do, and a pasted line that is not a callback is asked again.
func TestManualConsent(t *testing.T) {
	for _, approve := range []bool{true, false} {
		var out strings.Builder
		in := bufio.NewReader(strings.NewReader("oui\n  https://lab.example/callback?code=abc&state=xyz  \n"))
		u, err := ManualConsent{Out: &out, In: in}.Ask(t.Context(), "https://mes.example/oauth/authorize?x=1", approve)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := u.Query().Get("code"), "abc"; got != want {
			t.Errorf("code = %q, want %q", got, want)
		}
		want := map[bool]string{true: "AUTORISEZ", false: "REFUSEZ"}[approve]
		for _, w := range []string{"https://mes.example/oauth/authorize?x=1", want, "Ce n'est pas une adresse de retour"} {
			if !strings.Contains(out.String(), w) {
				t.Errorf("approve %v: the editor is not told %q:\n%s", approve, w, out.String())
			}
		}
	}
	_, err := ManualConsent{Out: io.Discard, In: bufio.NewReader(strings.NewReader("nothing\n"))}.Ask(t.Context(), "u", true)
	if err == nil {
		t.Error("Ask returned no error when the input ended without a callback")
	}
}

// TestRunPDSm: the book passes with the pdsm-iti65 profile too (ITI-65
// bundles, ITI-67 search, logical deletion), and its report holds neither
// the test patient's identity nor a token, bundles included.
func TestRunPDSm(t *testing.T) {
	rep, _ := simRunWith(t, nil, nil, func(o *Options, hc *http.Client) {
		o.Environment.Profile = mes.ProfilePDSm
		o.Documents = mes.NewClient(mes.Options{BaseURL: o.Environment.BaseURL, HTTPClient: hc, Profile: mes.ProfilePDSm, SourceID: "1.2.250.1.999.1",
			MeasureCanonicals: mappings.DefaultMeasureCanonicals()})
	})
	if !rep.OK() {
		t.Fatalf("the book did not pass with pdsm-iti65:\n%s", describe(rep))
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	page, err := rep.HTML()
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{string(js), string(page)} {
		// A measurement's id is a hash of its source key, not a secret.
		out := regexp.MustCompile(regexp.QuoteMeta(docbridge.MeasurementIDPrefix)+`[0-9a-f]{64}`).ReplaceAllString(out, "")
		if m := regexp.MustCompile(`[0-9a-f]{64}`).FindString(out); m != "" {
			t.Error("the report holds a token-like value")
		}
		for _, s := range append([]string{testPatient.INS, testPatient.BirthName, testPatient.BirthDate, "19920714"}, testPatient.FirstNames...) {
			if strings.Contains(strings.ToLower(out), strings.ToLower(s)) {
				t.Errorf("the report holds %q", s)
			}
		}
	}
}

// TestManualConsentCallback: the callback the command receives answers
// the consent waiting for it, under the public URL; a callback left from
// an earlier request is not taken for this one's.
func TestManualConsentCallback(t *testing.T) {
	public, _ := url.Parse("https://lab.example/appairage")
	got := make(chan *url.URL, 1)
	h := CallbackHandler(public, got)
	got <- &url.URL{Scheme: "https", Host: "stale.example"}
	c := ManualConsent{Out: io.Discard, In: bufio.NewReader(strings.NewReader("")), Callbacks: got, Waiting: "https://lab.example/appairage/callback"}
	res := make(chan *url.URL, 1)
	go func() {
		u, err := c.Ask(t.Context(), "https://mes.example/oauth/authorize", true)
		if err != nil {
			t.Error(err)
		}
		res <- u
	}()
	var u *url.URL
	for u == nil {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/callback?code=c1&state=s1", nil))
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `lang="fr"`) {
			t.Fatalf("callback page: HTTP %d %q", w.Code, w.Body.String())
		}
		select {
		case u = <-res:
		case <-time.After(20 * time.Millisecond):
		}
	}
	if got, want := u.String(), "https://lab.example/appairage/callback?code=c1&state=s1"; got != want {
		t.Errorf("callback %s, want %s", got, want)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/other", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("GET /other: HTTP %d, want 404", w.Code)
	}
}
