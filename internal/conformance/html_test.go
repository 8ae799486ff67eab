package conformance

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestReportHTMLGolden: the HTML report of a fixed run, every status and
// an exchange with and one without an answer, is the reviewed one.
func TestReportHTMLGolden(t *testing.T) {
	at := time.Date(2026, 12, 5, 22, 30, 0, 0, time.UTC)
	rep := &Report{
		Environment: Environment{BaseURL: "https://mes.test.example/api", PairingURL: "https://mes.test.example", Profile: "mes-api", ClientID: "lab", Version: "1.2.3"},
		APIs:        []API{APIPairing, APIDocuments, APIMeasurements},
		Started:     at, Finished: at.Add(3 * time.Second),
		Results: []Result{
			{ID: "pairing.authorize", API: APIPairing, Title: "Autorisation", Expected: "Un code.", Actual: "Un code <reçu>.", Status: Passed, Started: at, DurationMS: 12.34,
				Exchanges: []Exchange{{Started: at, DurationMS: 10, Method: "GET", URL: "https://mes.test.example/oauth/authorize?state=[masqué]",
					RequestHeaders: []Header{{"X-Docbridge-Conformance-Case", "pairing.authorize"}}, Status: 303, StatusText: "See Other",
					ResponseHeaders: []Header{{"Location", "https://lab.example/callback?code=[masqué]"}}}}},
			{ID: "documents.publish", API: APIDocuments, Title: "Dépôt", Expected: "HTTP 2xx.", Actual: "Échec : HTTP 422", Status: Failed, Started: at, DurationMS: 40,
				Exchanges: []Exchange{{Started: at, DurationMS: 38, Method: "POST", URL: "https://mes.test.example/api/DocumentReference",
					RequestHeaders: []Header{{"Authorization", "Bearer [masqué]"}}, RequestBody: `{"resourceType":"DocumentReference"}`,
					Status: 422, StatusText: "Unprocessable Entity", ResponseBody: `{"resourceType":"OperationOutcome"}`}, {
					Started: at, Method: "GET", URL: "https://mes.test.example/api/Binary/x", Error: "connection refused"}}},
			{ID: "documents.error-429", API: APIDocuments, Title: "Erreur 429", Expected: "HTTP 429.", Actual: "Non exécuté.", Status: NotApplicable, Started: at, Exchanges: []Exchange{}},
			{ID: "mesures", API: APIMeasurements, Title: "API Mesures", Expected: "Les cas.", Actual: "Non disponible.", Status: Unavailable, Started: at, Exchanges: []Exchange{}},
		},
	}
	for _, r := range rep.Results {
		rep.Counts.add(r.Status)
	}
	got, err := rep.HTML()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "report.golden.html")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the HTML report differs from %s (go test -update, then review the diff)", path)
	}
}
