package pdf

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/golden"
)

// testOptions are the options of every test: UTC, so that goldens do not
// depend on the machine's zone database.
func testOptions(t testing.TB) Options {
	return Options{Mappings: golden.Mappings(t), Location: time.UTC}
}

// origin reads the PDF at path and the sidecar beside it, as the folder
// intake pairs them.
func origin(t testing.TB, path string) ([]byte, docbridge.Origin) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	o := docbridge.Origin{Name: filepath.Base(path)}
	stem := strings.TrimSuffix(path, filepath.Ext(path))
	for _, ext := range []string{".json", ".yaml"} {
		if b, err := os.ReadFile(stem + ext); err == nil {
			o.Sidecar = b
			break
		}
	}
	return raw, o
}

// TestGolden converts every testdata PDF with its sidecar (or its name)
// and compares the JSON outcome with testdata/golden/<name>.json.
// Regenerate with go test ./convert/... -update and review the diff.
func TestGolden(t *testing.T) {
	o := testOptions(t)
	golden.Each(t, ".pdf", []golden.Set{{Dir: "testdata"}}, func(t *testing.T, path, name string) {
		raw, org := origin(t, path)
		docs, err := Convert(bytes.NewReader(raw), int64(len(raw)), org, o)
		for _, d := range docs {
			if !d.ContentIsInput || d.Content != nil {
				t.Errorf("ContentIsInput = %v, Content = %d bytes; want the input itself, not a copy", d.ContentIsInput, len(d.Content))
			}
		}
		golden.Compare(t, name+".json", golden.OutcomeOf(docs, err))
	})
}
