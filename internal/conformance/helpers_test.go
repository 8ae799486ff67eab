package conformance

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/mes/messim"
)

var testPatient = SimulatorPatient

const testMESID = SimulatorPatientID

// simRun runs the book against an in-process simulator whose fault
// injection also answers extra (case id → status).
func simRun(t *testing.T, apis []API, extra map[string]int) (*Report, *messim.Server) {
	t.Helper()
	return simRunWith(t, apis, extra, nil)
}

// simRunWith is simRun with a last change to the options.
func simRunWith(t *testing.T, apis []API, extra map[string]int, change func(*Options, *http.Client)) (*Report, *messim.Server) {
	t.Helper()
	maps, err := mappings.Load("")
	if err != nil {
		t.Fatal(err)
	}
	faults := SimFaults(Cases())
	for k, v := range extra {
		faults[k] = v
	}
	sim, ts := messim.NewTestServer(t, messim.Options{Codes: maps, Faults: messim.FaultsByHeader(CaseHeader, faults)})
	sim.AddIdentity(testMESID, testPatient)
	rec := NewRecorder(nil)
	hc := &http.Client{Transport: rec, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 30 * time.Second}
	red := NewRedactor()
	red.Patient(testPatient)
	o := Options{
		Environment: Environment{BaseURL: ts.URL, PairingURL: ts.URL, Simulator: true, Profile: mes.ProfileMESAPI, ClientID: "docbridge", Version: "test"},
		Documents:   mes.NewClient(mes.Options{BaseURL: ts.URL, HTTPClient: hc, MeasureCanonicals: mappings.DefaultMeasureCanonicals()}),
		Pairing: mes.NewPairingClient(mes.PairingOptions{BaseURL: ts.URL, ClientID: "docbridge", RedirectURL: "http://127.0.0.1:1/callback", HTTPClient: hc,
			Scopes: []string{docbridge.ScopeDocuments, docbridge.ScopeMeasurements, docbridge.ScopeAgenda}}),
		Consent:  SimulatorConsent{HTTP: hc, Patient: testMESID},
		Recorder: rec,
		Redactor: red,
		APIs:     apis,
	}
	if change != nil {
		change(&o, hc)
	}
	return Run(t.Context(), o), sim
}

// result returns the result of case id.
func result(t *testing.T, rep *Report, id string) Result {
	t.Helper()
	for _, r := range rep.Results {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no result for %s", id)
	return Result{}
}

// describe lists the results for a failure message.
func describe(rep *Report) string {
	var b strings.Builder
	for _, r := range rep.Results {
		b.WriteString(string(r.Status) + " " + r.ID + ": " + r.Actual + "\n")
	}
	return b.String()
}
