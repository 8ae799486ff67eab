package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInspectMesures: inspect shows what a source profile with
// measurements on makes of the sample ORU^R01 (each measurement, converted),
// and --wire prints the Mesures Bundle of each.
func TestInspectMesures(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "docbridge.yaml")
	os.WriteFile(cfg, []byte("environment: test\ndata: data\nmes: {base_url: http://127.0.0.1:1}\n"+
		"profiles:\n  - {name: clinic, measurements: true, when: {sending_application: CLINIC-E2E}}\n"), 0o600)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"inspect", "-c", cfg, mesuresSample}, &out, &out); err != nil {
		t.Fatalf("inspect: %v\n%s", err, out.String())
	}
	for _, want := range []string{"4 document(s)", "measurement body-weight 71.5 kg  2025-01-14T09:10:00+01:00  status final",
		"measurement glucose 99.09 mg/dL", "measurement bp 8480-6=128 mm[Hg], 8462-4=79 mm[Hg]", "body mass index"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"inspect", "-c", cfg, "--wire", "mes-api", mesuresSample}, &out, &out); err != nil {
		t.Fatalf("inspect --wire: %v\n%s", err, out.String())
	}
	if n := strings.Count(out.String(), `"resourceType":"Bundle"`); n != 4 {
		t.Errorf("inspect --wire printed %d Bundles, want 4:\n%s", n, out.String())
	}
}
