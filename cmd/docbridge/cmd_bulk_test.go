package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/bulk"
	"github.com/docbridge/docbridge/internal/bulk/bulkgen"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes/messim"
)

// bulkEnv is a generated archive, a simulator with its paired patients and
// a configuration whose store holds their pairings.
type bulkEnv struct {
	t       *testing.T
	dir     string
	archive string
	cfg     string
	sim     *messim.Server
	m       bulkgen.Manifest
}

func newBulkEnv(t *testing.T, n int, o messim.Options) *bulkEnv {
	t.Helper()
	maps, err := mappings.Load("")
	if err != nil {
		t.Fatal(err)
	}
	o.Codes = maps
	sim := messim.New(o)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	e := &bulkEnv{t: t, dir: t.TempDir(), sim: sim}
	e.archive = filepath.Join(e.dir, "archive")
	if e.m, err = bulkgen.Generate(bulkgen.Options{Dir: e.archive, Documents: n}); err != nil {
		t.Fatal(err)
	}
	e.cfg = filepath.Join(e.dir, "docbridge.yaml")
	cfg := fmt.Sprintf("environment: test\ndata: data\nmes: {base_url: %q}\ndelivery: {retry_base: 100ms, retry_max: 1s}\n", srv.URL)
	if err := os.WriteFile(e.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ps := e.m.Pairings
	for i := range ps {
		ps[i].AccessToken = sim.AddPatient(ps[i].MESPatient, ps[i].Patient.INS, ps[i].Patient.INSSystem)
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

// bulk runs `docbridge bulk` in this process and returns its report's
// summary; the archive has defective files, so it must exit 1.
func (e *bulkEnv) bulk(report string, args ...string) *bulk.Summary {
	e.t.Helper()
	var out, errb bytes.Buffer
	args = append([]string{"bulk", e.archive, "-c", e.cfg, "--report", report, "--rate", "0", "--progress-every", "1h"}, args...)
	err := run(context.Background(), args, &out, &errb)
	if !errors.Is(err, errProblems) {
		e.t.Fatalf("bulk %v: %v, want problems found\n%s\n%s", args, err, out.String(), errb.String())
	}
	e.assertNoPatientData(errb.String() + out.String())
	return readSummary(e.t, report)
}

// assertNoPatientData fails when output holds a name, INS or folder of the
// generated patients.
func (e *bulkEnv) assertNoPatientData(log string) {
	e.t.Helper()
	if strings.Contains(log, "BULKTEST") {
		e.t.Errorf("output holds a patient name or a path: %s", tail(log, 500))
	}
	for _, p := range e.m.Pairings {
		if strings.Contains(log, p.Patient.INS) {
			e.t.Errorf("output holds an INS")
		}
	}
}

// report is report.json: its summary and refusals.
type report struct {
	Summary  bulk.Summary   `json:"summary"`
	Refusals []bulk.Refusal `json:"refusals"`
}

func readReport(t *testing.T, file string) report {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var r report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("report %s: %v", file, err)
	}
	return r
}

func readSummary(t *testing.T, file string) *bulk.Summary {
	r := readReport(t, file)
	return &r.Summary
}

// TestBulkDryRunAndRunAgree generates an archive of known content, and
// checks that the dry run's report, the run's report and what the
// simulator received agree with it and with each other.
func TestBulkDryRunAndRunAgree(t *testing.T) {
	e := newBulkEnv(t, 300, messim.Options{})
	k := e.m.Kinds
	dry := e.bulk(filepath.Join(e.dir, "dry.json"), "--dry-run")
	if got := e.sim.Requests(); got != 0 {
		t.Fatalf("the dry run sent %d requests, want none", got)
	}
	real := e.bulk(filepath.Join(e.dir, "run.json"))

	want := map[bulk.Outcome]int{
		bulk.Delivered:  k[bulkgen.Paired] + k[bulkgen.PDF],
		bulk.Held:       k[bulkgen.Unpaired],
		bulk.Failed:     k[bulkgen.BadINSKey] + k[bulkgen.Doctype] + k[bulkgen.Truncated] + k[bulkgen.FHIR] + k[bulkgen.BarePDF],
		bulk.Unreadable: k[bulkgen.Unreadable],
	}
	for name, s := range map[string]*bulk.Summary{"dry run": dry, "run": real} {
		if diff := cmp.Diff(want, s.Outcomes); diff != "" {
			t.Errorf("%s outcomes (-want +got):\n%s", name, diff)
		}
		if got, want := s.Patients.Unpaired, e.m.Unpaired; got != want {
			t.Errorf("%s: %d patients without a pairing, want %d", name, got, want)
		}
		if got, want := s.Patients.Paired, len(e.m.Pairings); got != want {
			t.Errorf("%s: %d paired patients, want %d", name, got, want)
		}
		ix := s.Index
		if ix == nil {
			t.Fatalf("%s: no index summary", name)
		}
		if got, want := [3]int{ix.Rows, ix.FilesWithoutRow, ix.RowsWithoutFile}, [3]int{e.m.Index.Rows, e.m.Index.FilesWithoutRow, e.m.Index.RowsWithoutFile}; got != want {
			t.Errorf("%s: index rows, files without row, rows without file = %v, want %v", name, got, want)
		}
		if got, want := s.Reasons[docbridge.MissingMetadata], k[bulkgen.BarePDF]; got != want {
			t.Errorf("%s: %d missing-metadata, want %d (the PDFs without sidecar)", name, got, want)
		}
		if got, want := s.Sidecars, e.m.Sidecars; got != want {
			t.Errorf("%s: %d sidecars, want %d", name, got, want)
		}
	}
	if k[bulkgen.PDF] == 0 {
		t.Fatal("the archive has no PDF with a sidecar")
	}
	if got, want := e.sim.Count(), k[bulkgen.Paired]+k[bulkgen.PDF]; got != want {
		t.Errorf("the simulator holds %d documents, want %d (CDA and PDF)", got, want)
	}
	pdfs := 0
	for _, d := range e.sim.Documents() {
		if d.ContentType == "application/pdf" {
			pdfs++
		}
	}
	if pdfs != k[bulkgen.PDF] {
		t.Errorf("the simulator holds %d PDFs, want %d", pdfs, k[bulkgen.PDF])
	}
	if got, want := e.sim.Requests(), k[bulkgen.Paired]+k[bulkgen.PDF]; got != want {
		t.Errorf("the simulator received %d requests, want %d (one per document)", got, want)
	}
	if !real.Complete {
		t.Errorf("the run did not wait until every document settled")
	}
	dryRef, runRef := readReport(t, filepath.Join(e.dir, "dry.json")).Refusals, readReport(t, filepath.Join(e.dir, "run.json")).Refusals
	if diff := cmp.Diff(dryRef, runRef); diff != "" {
		t.Errorf("refusals differ between the dry run and the run (-dry +run):\n%s", diff)
	}
	if got, want := len(runRef), want[bulk.Failed]+want[bulk.Unreadable]+e.m.Index.RowsWithoutFile; got != want {
		t.Errorf("%d refusals listed, want %d", got, want)
	}
	for _, f := range []string{"dry.json", "dry-invitations.csv", "run.json", "run-invitations.csv"} {
		fi, err := os.Stat(filepath.Join(e.dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
			t.Errorf("%s mode = %v, want %v", f, got, want)
		}
	}
	inv, err := os.ReadFile(filepath.Join(e.dir, "run-invitations.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(inv)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rows)-1, e.m.Unpaired; got != want {
		t.Errorf("invitations.csv lists %d patients, want %d", got, want)
	}
	// A second run finds everything already done and sends nothing more.
	again := e.bulk(filepath.Join(e.dir, "again.json"))
	if diff := cmp.Diff(real.Outcomes, again.Outcomes); diff != "" {
		t.Errorf("outcomes of a repeated run (-first +again):\n%s", diff)
	}
	if got, want := e.sim.Requests(), k[bulkgen.Paired]+k[bulkgen.PDF]; got != want {
		t.Errorf("after a repeated run the simulator received %d requests, want %d", got, want)
	}
}

// TestBulkReportDir checks that --report-dir writes the three formats and
// the invitation list, each 0600, and that the HTML holds its charts.
func TestBulkReportDir(t *testing.T) {
	e := newBulkEnv(t, 100, messim.Options{})
	dir := filepath.Join(e.dir, "reports")
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"bulk", "--dry-run", "-c", e.cfg, "--report-dir", dir, e.archive}, &out, &errb)
	if !errors.Is(err, errProblems) {
		t.Fatalf("bulk --dry-run: %v\n%s", err, errb.String())
	}
	for _, f := range bulk.ReportFiles {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
			t.Errorf("%s mode = %v, want %v", f, got, want)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	for _, want := range []string{"<svg", "not-paired", "unsupported-format", "doc-000096.xml"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if bytes.Contains(html, []byte("<script")) {
		t.Errorf("report.html holds a script")
	}
}

// TestBulkUsage checks the usage errors of the command line.
func TestBulkUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"no archive", []string{"bulk", "--data", "x", "--dry-run"}},
		{"no store", []string{"bulk", "somewhere", "--dry-run"}},
		{"both reports", []string{"bulk", "a", "--data", "x", "--report", "r.json", "--report-dir", "d"}},
		{"two archives", []string{"bulk", "a", "b", "--data", "x"}},
		{"run without MES", []string{"bulk", "a", "--data", t.TempDir()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tt.args, &out, &out)
			if got, want := exitCode(err), 2; got != want {
				t.Errorf("exit code = %d (%v), want %d", got, err, want)
			}
		})
	}
}
