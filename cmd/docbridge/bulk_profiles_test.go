package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/docbridge/docbridge/mes/messim"
)

// TestBulkConfigProfile: a profile of the configuration for the bulk
// intake gives what a PDF's sidecar leaves out (facility type, practice
// setting), in the dry run as in the real run, which delivers the PDF.
func TestBulkConfigProfile(t *testing.T) {
	e := newE2EServer(t, messim.Options{}, nil, `profiles:
  - name: practice
    when: {intake: bulk}
    facility_type: SA25
    practice_setting: AMBULATOIRE
`)
	archive := filepath.Join(e.dir, "archive")
	if err := os.MkdirAll(archive, 0o750); err != nil {
		t.Fatal(err)
	}
	var side map[string]any
	if err := json.Unmarshal(readRepoFile(t, "convert", "pdf", "testdata", "cr-bio.json"), &side); err != nil {
		t.Fatal(err)
	}
	delete(side, "facilityType")
	delete(side, "practiceSetting")
	b, _ := json.Marshal(side)
	os.WriteFile(filepath.Join(archive, "cr.json"), b, 0o600)
	os.WriteFile(filepath.Join(archive, "cr.pdf"), readRepoFile(t, "convert", "pdf", "testdata", "cr-bio.pdf"), 0o600)

	for _, mode := range []string{"--dry-run", ""} {
		report := filepath.Join(e.dir, "report"+mode+".json")
		args := []string{"bulk", archive, "-c", e.cfg, "--report", report, "--rate", "0"}
		if mode != "" {
			args = append(args, mode)
		}
		var out bytes.Buffer
		if err := run(context.Background(), args, &out, &out); err != nil {
			t.Fatalf("bulk %s: %v\n%s", mode, err, out.String())
		}
		r := readReport(t, report)
		if len(r.Refusals) != 0 {
			t.Errorf("bulk %s: refusals %+v, want none", mode, r.Refusals)
		}
	}
	if got := e.sim.Count(); got != 1 {
		t.Errorf("the simulator holds %d documents, want 1", got)
	}
}
