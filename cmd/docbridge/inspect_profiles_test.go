package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/docbridge/docbridge"
)

// TestInspectIntakeProfiles: inspect -c FILE --intake NAME applies the
// profiles that intake would apply, and --json shows their provenance;
// without --intake the lab's bare PDF lacks its context (exit 1); an intake
// the configuration does not have is a usage error (exit 2).
func TestInspectIntakeProfiles(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "docbridge.yaml")
	body := fmt.Sprintf(`environment: test
data: %q
mes: {base_url: "http://127.0.0.1:1"}
mllp:
  - {name: lis, addr: "127.0.0.1:0"}
profiles:
  - name: lab
    when: {intake: lis, sending_application: LIS-DB}
    facility_type: SA25
    practice_setting: AMBULATOIRE
    custodian: {id: "1.2.250.1.71.4.2.2^1999999901", name: Laboratoire (fictif)}
`, filepath.Join(dir, "data"))
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	msg := filepath.Join("..", "..", "convert", "hl7v2", "testdata", "oru-pdf-latin1.hl7") // MSH-3 LIS-DB

	res, err := inspectJSON(t, "-c", cfg, "--intake", "lis", msg)
	if err != nil {
		t.Fatalf("inspect --intake lis: %v", err)
	}
	if len(res) != 1 || len(res[0].Documents) != 1 {
		t.Fatalf("inspect = %+v, want one file with one document", res)
	}
	d := res[0].Documents[0]
	for _, f := range []string{"facilityType", "practiceSetting", "custodian"} {
		if got := d.Provenance[f]; got != "profile:lab" {
			t.Errorf("provenance of %s = %q, want profile:lab", f, got)
		}
	}
	if p := d.FirstError(); p != nil {
		t.Errorf("first error = %+v, want none under the profile", p)
	}

	res, err = inspectJSON(t, "-c", cfg, msg)
	if exitCode(err) != 1 {
		t.Errorf("inspect without --intake: exit %d, want 1", exitCode(err))
	}
	if len(res) == 1 && len(res[0].Documents) == 1 {
		if p := res[0].Documents[0].FirstError(); p == nil || p.Code != docbridge.MissingMetadata {
			t.Errorf("without --intake, first error = %+v, want missing-metadata", p)
		}
	}

	if _, err := inspectJSON(t, "-c", cfg, "--intake", "nowhere", msg); exitCode(err) != 2 {
		t.Errorf("inspect --intake nowhere: exit %d, want 2", exitCode(err))
	}
	if _, err := inspectJSON(t, "--intake", "lis", msg); exitCode(err) != 2 {
		t.Errorf("inspect --intake without -c: exit %d, want 2", exitCode(err))
	}
}
