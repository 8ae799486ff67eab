package pdf

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var loadMappings = sync.OnceValues(func() (*mappings.Set, error) { return mappings.Load("") })

func testMappings(t testing.TB) *mappings.Set {
	t.Helper()
	m, err := loadMappings()
	if err != nil {
		t.Fatalf("mappings.Load: %v", err)
	}
	return m
}

// testOptions are the options of every test: UTC, so that goldens do not
// depend on the machine's zone database.
func testOptions(t testing.TB) Options {
	return Options{Mappings: testMappings(t), Location: time.UTC}
}

// golden is the recorded outcome of converting one PDF.
type golden struct {
	Documents []*docbridge.Document `json:"documents,omitempty"`
	Error     *goldenError          `json:"error,omitempty"`
}

type goldenError struct {
	Code    docbridge.Reason `json:"code"`
	Message string           `json:"message"`
}

func outcome(docs []*docbridge.Document, err error) golden {
	if err != nil {
		var e *docbridge.Error
		if !errors.As(err, &e) {
			return golden{Error: &goldenError{Code: "unclassified", Message: err.Error()}}
		}
		return golden{Error: &goldenError{Code: e.Reason, Message: e.Msg}}
	}
	return golden{Documents: docs}
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
	paths, err := filepath.Glob(filepath.Join("testdata", "*.pdf"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no testdata PDF: %v", err)
	}
	sort.Strings(paths)
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".pdf")
		t.Run(name, func(t *testing.T) {
			raw, org := origin(t, p)
			docs, err := Convert(bytes.NewReader(raw), int64(len(raw)), org, o)
			for _, d := range docs {
				if !d.ContentIsInput || d.Content != nil {
					t.Errorf("ContentIsInput = %v, Content = %d bytes; want the input itself, not a copy", d.ContentIsInput, len(d.Content))
				}
			}
			compareGolden(t, name, outcome(docs, err))
		})
	}
}

func compareGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	file := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./convert/... -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from its golden file (-want +got):\n%s", name, cmp.Diff(string(want), string(got)))
	}
}
