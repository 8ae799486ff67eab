package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/bulk"
	"github.com/docbridge/docbridge/internal/bulk/bulkgen"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes/messim"
)

// archiveDocs is the size of the generated practice archives:
// $DOCBRIDGE_ARCHIVE_DOCS, default 2,000 (issue 16's size), 200 with
// -short.
func archiveDocs(t *testing.T) int {
	n := 2000
	if testing.Short() {
		n = 200
	}
	if s := os.Getenv("DOCBRIDGE_ARCHIVE_DOCS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 20 {
			t.Fatalf("DOCBRIDGE_ARCHIVE_DOCS=%q: want a number of at least 20", s)
		}
		n = v
	}
	return n
}

// practiceProfile is the practice profile of the archive tests (the one of
// samples/archive).
const practiceProfile = `facility_type: SA07
practice_setting: AMBULATOIRE
custodian:
  id: 1.2.250.1.71.4.2.2^1999999902
  name: Cabinet du Dr Exemple (fictif)
author:
  id: "810000000001"
  name: Dr Jean EXEMPLE
  specialty: G15_10/SM54
`

const pairingLink = "https://cabinet.example/docbridge/start" // pairing.public_url + /start

// archiveEnv is a generated practice archive (PDFs and an index only), a
// simulator holding its paired patients, and a configuration whose store
// holds their pairings.
type archiveEnv struct {
	t                       *testing.T
	dir, archive, cfg, prof string
	complete                string // the index with every row
	sim                     *messim.Server
	m                       bulkgen.ArchiveManifest
	mesOf                   map[string]bool // MES ids of the paired patients
}

func newArchiveEnv(t *testing.T, n int, french bool) *archiveEnv {
	t.Helper()
	maps, err := mappings.Load("")
	if err != nil {
		t.Fatal(err)
	}
	sim := messim.New(messim.Options{Codes: maps})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	e := &archiveEnv{t: t, dir: t.TempDir(), sim: sim, mesOf: map[string]bool{}}
	e.archive = filepath.Join(e.dir, "archive")
	e.complete = filepath.Join(e.dir, "index-complete.csv")
	seed := 1
	if french {
		seed = 2
	}
	if e.m, err = bulkgen.GenerateArchive(bulkgen.ArchiveOptions{Dir: e.archive, Documents: n, French: french,
		Withhold: 10, CompleteIndex: e.complete, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	e.cfg = filepath.Join(e.dir, "docbridge.yaml")
	cfg := fmt.Sprintf("environment: test\ndata: data\nmes: {base_url: %q}\ndelivery: {retry_base: 100ms, retry_max: 1s}\n"+
		"pairing: {public_url: %q}\n", srv.URL, strings.TrimSuffix(pairingLink, "/start"))
	if err := os.WriteFile(e.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e.prof = filepath.Join(e.dir, "practice-profile.yaml")
	if err := os.WriteFile(e.prof, []byte(practiceProfile), 0o600); err != nil {
		t.Fatal(err)
	}
	ps := e.m.Pairings
	for i := range ps {
		ps[i].AccessToken = sim.AddPatient(ps[i].MESPatient, ps[i].Patient.INS, ps[i].Patient.INSSystem)
		e.mesOf[ps[i].MESPatient] = true
	}
	b, _ := json.Marshal(ps)
	pf := filepath.Join(e.dir, "pairings.json")
	os.WriteFile(pf, b, 0o600)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"pair", "import", "-c", e.cfg, pf}, &out, &out); err != nil {
		t.Fatalf("pair import: %v\n%s", err, out.String())
	}
	return e
}

// archiveReport is report.json with its documents.
type archiveReport struct {
	Summary   bulk.Summary       `json:"summary"`
	Refusals  []bulk.Refusal     `json:"refusals"`
	Documents []bulk.DocumentRow `json:"documents"`
}

// bulk runs `docbridge bulk` as a child process with the practice
// profile, into the report directory dir/name, and returns its report and
// exit code.
func (e *archiveEnv) bulk(name string, args ...string) (archiveReport, int) {
	e.t.Helper()
	rep := filepath.Join(e.dir, name)
	log := filepath.Join(e.dir, "bulk.log")
	args = append([]string{"bulk", e.archive, "-c", e.cfg, "--profile", e.prof, "--report-dir", rep, "--rate", "0", "--progress-every", "1h"}, args...)
	start := time.Now()
	cmd := startChild(e.t, log, args...)
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatal(err)
	}
	e.t.Logf("bulk %s: exit %d in %v", name, code, time.Since(start).Round(time.Millisecond))
	b, err := os.ReadFile(filepath.Join(rep, "report.json"))
	if err != nil {
		out, _ := os.ReadFile(log)
		e.t.Fatalf("bulk %s: no report (%v)\n%s", name, err, tail(string(out), 2000))
	}
	var r archiveReport
	if err := json.Unmarshal(b, &r); err != nil {
		e.t.Fatalf("report %s: %v", name, err)
	}
	for _, f := range bulk.ReportFiles {
		fi, err := os.Stat(filepath.Join(rep, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			e.t.Errorf("%s/%s: %v, mode %v; want a 0600 file (it holds patient data)", name, f, err, fi.Mode().Perm())
		}
	}
	return r, code
}

// invitations reads name/invitations.csv: the INS of each row.
func (e *archiveEnv) invitations(name string) []string {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dir, name, "invitations.csv"))
	if err != nil {
		e.t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) == 0 {
		e.t.Fatalf("invitations.csv: %v", err)
	}
	if diff := cmp.Diff(bulk.InvitationHeader, rows[0]); diff != "" {
		e.t.Errorf("invitations.csv header (-want +got):\n%s", diff)
	}
	var ins []string
	for _, r := range rows[1:] {
		ins = append(ins, r[0])
	}
	return ins
}

// checkInvitations checks that name's invitations are one per patient of
// want, in the CSV and as printable letters with the pairing link and its
// QR code.
func (e *archiveEnv) checkInvitations(name string, want map[string]bool) {
	e.t.Helper()
	got := map[string]int{}
	for _, ins := range e.invitations(name) {
		got[ins]++
	}
	for ins, n := range got {
		if n != 1 || !want[ins] {
			e.t.Errorf("%s: invitations.csv lists a patient %d times (want once, and only patients without a pairing: %t)", name, n, want[ins])
		}
	}
	if len(got) != len(want) {
		e.t.Errorf("%s: invitations.csv lists %d patients, want %d", name, len(got), len(want))
	}
	html, err := os.ReadFile(filepath.Join(e.dir, name, "invitations.html"))
	if err != nil {
		e.t.Fatal(err)
	}
	s := string(html)
	if n := strings.Count(s, `<section class="letter">`); n != len(want) {
		e.t.Errorf("%s: invitations.html has %d letters, want %d", name, n, len(want))
	}
	if n := strings.Count(s, "data:image/png;base64,"); n != len(want) {
		e.t.Errorf("%s: invitations.html has %d QR codes, want %d", name, n, len(want))
	}
	if !strings.Contains(s, pairingLink) || !strings.Contains(s, "Mon espace santé") {
		e.t.Errorf("%s: invitations.html lacks the pairing link or is not in French", name)
	}
}

// checkSimulator checks what MES holds: n documents, each created once,
// all of paired patients.
func (e *archiveEnv) checkSimulator(what string, n int) {
	e.t.Helper()
	docs := e.sim.Documents()
	if len(docs) != n {
		e.t.Errorf("%s: the simulator holds %d documents, want %d", what, len(docs), n)
	}
	for _, d := range docs {
		if len(d.History) != 1 || d.Status != "current" {
			e.t.Errorf("%s: document %s at MES: history %v, status %s; want created once, current", what, d.UniqueID, d.History, d.Status)
		}
		if !e.mesOf[d.Patient] {
			e.t.Errorf("%s: document %s filed under a patient who never paired", what, d.UniqueID)
		}
	}
}

// outcomes is a report's count per outcome and reason.
func outcomes(r archiveReport) map[string]int {
	out := map[string]int{}
	for _, c := range r.Summary.ByReason {
		out[string(c.Outcome)+" "+string(c.Reason)] = c.N
	}
	return out
}

// TestArchiveIndexOnly is issue 16's practice archive: PDFs with an index
// only and a practice profile, in a UTF-8 variant with English headers and
// a Windows-1252 variant with French headers. The dry run and the real run
// (child processes, the simulator over a socket) agree with each other and
// with what the simulator received: every document of a paired patient is
// delivered, the others are held, and each of their patients has exactly
// one invitation. A tenth of the PDFs have no row at first; a second run
// after their rows are added converts and delivers them, and nothing is
// sent twice.
func TestArchiveIndexOnly(t *testing.T) {
	n := archiveDocs(t)
	for _, v := range []struct {
		name   string
		french bool
	}{{"utf-8-english", false}, {"windows-1252-french", true}} {
		t.Run(v.name, func(t *testing.T) { testArchive(t, n, v.french) })
	}
}

func testArchive(t *testing.T, n int, french bool) {
	start := time.Now()
	e := newArchiveEnv(t, n, french)
	m := e.m
	t.Logf("%d PDFs: %d of paired patients, %d of unpaired ones, %d without a row at first (generated in %v)",
		m.Files, m.Paired, m.Unpaired, m.Withheld, time.Since(start).Round(time.Millisecond))

	// First pass: the rows of a tenth of the PDFs are missing.
	want := map[string]int{
		"delivered ":                                  m.Paired - m.WithheldPaired,
		"held " + string(docbridge.NotPaired):         m.Unpaired - (m.Withheld - m.WithheldPaired),
		"failed " + string(docbridge.MissingMetadata): m.Withheld,
	}
	dry, code := e.bulk("dry-1", "--dry-run")
	if code != 1 {
		t.Errorf("dry run 1: exit %d, want 1 (files without metadata)", code)
	}
	if diff := cmp.Diff(want, outcomes(dry)); diff != "" {
		t.Errorf("dry run 1 outcomes (-want +got):\n%s", diff)
	}
	if got := e.sim.Count(); got != 0 {
		t.Fatalf("the dry run sent %d documents", got)
	}
	real, code := e.bulk("run-1")
	if code != 1 {
		t.Errorf("run 1: exit %d, want 1 (files without metadata)", code)
	}
	if diff := cmp.Diff(outcomes(dry), outcomes(real)); diff != "" {
		t.Errorf("run 1 disagrees with dry run 1 (-dry +run):\n%s", diff)
	}
	if diff := cmp.Diff(dry.Summary.Patients, real.Summary.Patients); diff != "" {
		t.Errorf("run 1 patients disagree with dry run 1 (-dry +run):\n%s", diff)
	}
	if got := real.Summary.Disagreements; got != 0 {
		t.Errorf("run 1 counts %d disagreements with its own dry-run rules, want 0", got)
	}
	e.checkSimulator("run 1", m.Paired-m.WithheldPaired)
	e.checkInvitations("run-1", m.UnpairedPatients)
	checkProvenance(t, real, french)

	// Second pass: the missing rows are added; the rows already there keep
	// their lines, so their files are the same inputs as before.
	b, err := os.ReadFile(e.complete)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.archive, "index.csv"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	want = map[string]int{"delivered ": m.Paired, "held " + string(docbridge.NotPaired): m.Unpaired}
	dry, code = e.bulk("dry-2", "--dry-run")
	if code != 0 {
		t.Errorf("dry run 2: exit %d, want 0", code)
	}
	if diff := cmp.Diff(want, outcomes(dry)); diff != "" {
		t.Errorf("dry run 2 outcomes (-want +got):\n%s", diff)
	}
	// Waits for h1 (an input's identity is its body and its sidecar): until
	// then the store takes each completed PDF as the first run's input,
	// refused for missing-metadata.
	real, code = e.bulk("run-2")
	if code != 0 {
		t.Errorf("run 2: exit %d, want 0", code)
	}
	if diff := cmp.Diff(outcomes(dry), outcomes(real)); diff != "" {
		t.Errorf("run 2 disagrees with dry run 2 (-dry +run):\n%s", diff)
		if outcomes(real)["failed "+string(docbridge.MissingMetadata)] == m.Withheld {
			t.Errorf("run 2: the PDFs whose row was added were taken as the inputs run 1 refused: the store keys inputs by their body only (h1: body + sidecar)")
		}
		// Where they disagree, the report says why.
		if got, want := real.Summary.Disagreements, outcomes(real)["failed "+string(docbridge.MissingMetadata)]; got != want {
			t.Errorf("run 2 counts %d disagreements, want %d", got, want)
		}
		for _, f := range real.Refusals {
			if f.Outcome == bulk.Failed && !strings.Contains(f.Message, "the store already held this file's bytes") {
				t.Errorf("run 2: %s %s refused without saying why the dry run disagrees: %s", f.Outcome, f.Reason, f.Message)
			}
		}
	}
	e.checkSimulator("run 2", m.Paired)
	e.checkInvitations("run-2", m.AllUnpairedPatients)
	log, _ := os.ReadFile(filepath.Join(e.dir, "bulk.log"))
	if bytes.Contains(log, []byte("BULKT")) || bytes.Contains(log, []byte("Zoé")) {
		t.Errorf("bulk.log holds a patient name or a path: %s", tail(string(log), 500))
	}
	t.Logf("%d PDFs, two dry runs and two runs: %v", m.Files, time.Since(start).Round(time.Millisecond))
}

// checkProvenance checks that each delivered or held document says which
// of its fields came from the index and which from the profile.
func checkProvenance(t *testing.T, r archiveReport, french bool) {
	t.Helper()
	if len(r.Documents) == 0 {
		t.Fatal("the report lists no documents")
	}
	for _, d := range r.Documents {
		p := d.Provenance
		if !strings.HasPrefix(p["patient"], "index:") || !strings.HasPrefix(p["type"], "index:") || !strings.HasPrefix(p["creation"], "index:") {
			t.Fatalf("document %s: provenance %v; want patient, type and creation from index:<line>", d.Path, p)
		}
		for _, f := range []string{"facilityType", "practiceSetting", "custodian"} {
			if p[f] != "profile:practice-profile" {
				t.Fatalf("document %s: provenance of %s = %q, want profile:practice-profile", d.Path, f, p[f])
			}
		}
		if a := p["authors"]; a != "profile:practice-profile" && !(french && strings.HasPrefix(a, "index:")) {
			t.Fatalf("document %s: provenance of authors = %q", d.Path, a)
		}
	}
}

// TestSampleArchive runs the README's example, samples/archive, as a dry
// run with its practice profile: the paired sample patient's two PDFs
// would be delivered, the other patient's one is held and invited, and
// every document says where its metadata came from.
func TestSampleArchive(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "docbridge.yaml")
	os.WriteFile(cfg, []byte("environment: test\ndata: data\nmes: {base_url: \"http://127.0.0.1:1\"}\npairing: {public_url: \"https://cabinet.example/docbridge\"}\n"), 0o600)
	var ps []docbridge.Pairing
	b, _ := os.ReadFile("../../samples/pairings.json")
	if err := json.Unmarshal(b, &ps); err != nil {
		t.Fatal(err)
	}
	for i := range ps {
		ps[i].AccessToken = "sample-token"
	}
	b, _ = json.Marshal(ps)
	pf := filepath.Join(dir, "pairings.json")
	os.WriteFile(pf, b, 0o600)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"pair", "import", "-c", cfg, pf}, &out, &out); err != nil {
		t.Fatalf("pair import: %v\n%s", err, out.String())
	}
	rep := filepath.Join(dir, "dry")
	err := run(context.Background(), []string{"bulk", "../../samples/archive", "-c", cfg, "--dry-run", "--report-dir", rep,
		"--profile", "../../samples/archive/practice-profile.yaml", "--progress-every", "1h"}, &out, &out)
	if err != nil {
		t.Fatalf("bulk: %v\n%s", err, out.String())
	}
	b, err = os.ReadFile(filepath.Join(rep, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r archiveReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"delivered ": 2, "held " + string(docbridge.NotPaired): 1}
	if diff := cmp.Diff(want, outcomes(r)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s\n%s", diff, out.String())
	}
	if r.Summary.Files != 3 {
		t.Errorf("files = %d, want 3 (the index and the profile are not inputs)", r.Summary.Files)
	}
	checkProvenance(t, r, true)
	e := &archiveEnv{t: t, dir: dir}
	e.checkInvitations("dry", map[string]bool{"192036912304577": true})
}
