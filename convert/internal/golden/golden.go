// Package golden holds what the converter tests share: the -update flag,
// golden files under testdata/golden, the recorded outcome of a
// conversion, the shared public corpus, and the embedded mappings. Only
// tests import it.
//
// A golden file is a value rendered as indented JSON with a final newline.
// Regenerate them with go test ./convert/... -update and review the diff.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// Compare renders v and compares it with testdata/golden/<file>: a
// difference fails t with a diff. Under -update it writes the file
// instead.
func Compare(t testing.TB, file string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "golden", file)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./convert/... -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from its golden file (-want +got):\n%s", file, cmp.Diff(string(want), string(got)))
	}
}
