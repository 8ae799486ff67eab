package bulk

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/bulk/bulkgen"
)

func TestDryRunOutcomes(t *testing.T) {
	dir := t.TempDir()
	o, m := testOptions(t, dir, 200)
	res, err := DryRun(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	k := m.Kinds
	s := res.Summary
	want := map[Outcome]int{
		Delivered:  k[bulkgen.Paired] + k[bulkgen.PDF],
		Held:       k[bulkgen.Unpaired],
		Failed:     k[bulkgen.BadINSKey] + k[bulkgen.Doctype] + k[bulkgen.Truncated] + k[bulkgen.FHIR] + k[bulkgen.BarePDF],
		Unreadable: k[bulkgen.Unreadable],
	}
	if diff := cmp.Diff(want, s.Outcomes); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	wantReasons := map[docbridge.Reason]int{
		docbridge.NotPaired:          k[bulkgen.Unpaired],
		docbridge.INSInvalid:         k[bulkgen.BadINSKey],
		docbridge.ForbiddenConstruct: k[bulkgen.Doctype],
		docbridge.Malformed:          k[bulkgen.Truncated],
		docbridge.UnsupportedFormat:  k[bulkgen.FHIR],
		docbridge.MissingMetadata:    k[bulkgen.BarePDF],
	}
	if diff := cmp.Diff(wantReasons, s.Reasons); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
	if k[bulkgen.PDF] == 0 || k[bulkgen.BarePDF] == 0 {
		t.Fatalf("the archive has %d PDFs with a sidecar and %d without: both are needed", k[bulkgen.PDF], k[bulkgen.BarePDF])
	}
	if got, want := s.Formats[docbridge.FormatPDF], k[bulkgen.PDF]+k[bulkgen.BarePDF]; got != want {
		t.Errorf("%d PDF items, want %d", got, want)
	}
	if got, want := s.Sidecars, m.Sidecars; got != want {
		t.Errorf("Sidecars = %d, want %d", got, want)
	}
	if got, want := s.Patients, (PatientCounts{Total: len(m.Pairings) + m.Unpaired, Paired: len(m.Pairings), Unpaired: m.Unpaired}); got != want {
		t.Errorf("patients = %+v, want %+v", got, want)
	}
	if got, want := [3]int{s.Index.Rows, s.Index.FilesWithoutRow, s.Index.RowsWithoutFile}, [3]int{m.Index.Rows, m.Index.FilesWithoutRow, m.Index.RowsWithoutFile}; got != want {
		t.Errorf("index rows, files without row, rows without file = %v, want %v", got, want)
	}
	if got, want := s.Files, m.Files; got != want {
		t.Errorf("Files = %d, want %d", got, want)
	}
	if !s.Complete {
		t.Errorf("Complete = false for a finished dry run")
	}

	rep := filepath.Join(dir, "out")
	if err := res.WriteReportDir(context.Background(), rep); err != nil {
		t.Fatal(err)
	}
	var js struct {
		Summary  Summary   `json:"summary"`
		Refusals []Refusal `json:"refusals"`
	}
	b, _ := os.ReadFile(filepath.Join(rep, "report.json"))
	if err := json.Unmarshal(b, &js); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	if got, want := len(js.Refusals), want[Failed]+want[Unreadable]+m.Index.RowsWithoutFile; got != want {
		t.Errorf("report.json lists %d refusals, want %d", got, want)
	}
	b, _ = os.ReadFile(filepath.Join(rep, "report.csv"))
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("report.csv: %v", err)
	}
	refusals := 0
	for _, r := range rows {
		if r[0] == "refusal" {
			refusals++
		}
	}
	if got, want := refusals, len(js.Refusals); got != want {
		t.Errorf("report.csv lists %d refusals, report.json %d", got, want)
	}
	b, _ = os.ReadFile(filepath.Join(rep, "invitations.csv"))
	inv, _ := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if got, want := len(inv)-1, m.Unpaired; got != want {
		t.Errorf("invitations.csv lists %d patients, want %d", got, want)
	}
	if diff := cmp.Diff(InvitationHeader, inv[0]); diff != "" {
		t.Errorf("invitations.csv header (-want +got):\n%s", diff)
	}
}

func TestDryRunIndexProblems(t *testing.T) {
	dir := t.TempDir()
	o, _ := testOptions(t, dir, 10)
	idx := filepath.Join(dir, "other-index.csv")
	os.WriteFile(idx, []byte(strings.Join(IndexColumns, ",")+"\n"+
		"missing.xml,,,,,,,,\n"+
		"x.xml,12345,1.2.250.1.213.1.4.10,A,B,2000-01-01,F,75056,11502-2\n"+
		"missing.xml,,,,,,,,\n"), 0o600)
	o.Index = idx
	res, err := DryRun(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	ix := res.Summary.Index
	if got, want := [4]int{ix.Rows, ix.Invalid, ix.RowsWithoutFile, ix.FilesWithoutRow}, [4]int{3, 2, 1, res.Summary.Files}; got != want {
		t.Errorf("rows, invalid, rows without file, files without row = %v, want %v", got, want)
	}
	var got []string
	for f := range res.Refusals(context.Background()) {
		if f.Outcome == IndexInvalid || f.Outcome == IndexExtra {
			got = append(got, f.Path+" "+string(f.Outcome))
		}
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{"missing.xml index-extra", "other-index.csv:3 index-invalid", "other-index.csv:4 index-invalid"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("index refusals (-want +got):\n%s", diff)
	}
}

func TestSummaryBoundsKeys(t *testing.T) {
	s := newSummary("dry-run", "/a", testTime)
	for i := range maxKeys + 10 {
		s.add(Item{Outcome: Failed, Reason: docbridge.Reason(strings.Repeat("r", i+1))})
	}
	if got, want := len(s.Reasons), maxKeys+1; got != want {
		t.Errorf("%d reason keys, want %d (the bound and one other)", got, want)
	}
	if got, want := s.Reasons["(other)"], 10; got != want {
		t.Errorf("other = %d, want %d", got, want)
	}
}

func TestRemoveStaleScratch(t *testing.T) {
	parent := t.TempDir()
	old := time.Now().Add(-2 * staleScratch)
	for _, d := range []string{"docbridge-bulk-old", "docbridge-bulk-live", "other"} {
		os.MkdirAll(filepath.Join(parent, d), 0o700)
		os.WriteFile(filepath.Join(parent, d, "scratch.db"), nil, 0o600)
		os.Chtimes(filepath.Join(parent, d), old, old)
	}
	os.Chtimes(filepath.Join(parent, "docbridge-bulk-old", "scratch.db"), old, old)
	os.Chtimes(filepath.Join(parent, "other", "scratch.db"), old, old)
	removeStaleScratch(parent, time.Now())
	for d, want := range map[string]bool{"docbridge-bulk-old": false, "docbridge-bulk-live": true, "other": true} {
		if got := exists(filepath.Join(parent, d)); got != want {
			t.Errorf("%s exists = %t, want %t", d, got, want)
		}
	}
}
