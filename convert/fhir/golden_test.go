package fhir

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

// corpusDir is the shared public corpus (DESIGN.md §13): the PDSm and
// PDSM4DMP examples, read in place, never copied.
const corpusDir = "../../../shared/corpus/fhir"

var loadMappings = sync.OnceValues(func() (*mappings.Set, error) { return mappings.Load("") })

func testOptions(t testing.TB) Options {
	t.Helper()
	m, err := loadMappings()
	if err != nil {
		t.Fatalf("mappings.Load: %v", err)
	}
	return Options{Mappings: m, Location: time.UTC}
}

// golden is the recorded outcome of converting one file.
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

// TestGolden converts every synthetic input of testdata and, when the
// shared corpus is present, every PDSm example, and compares the JSON
// outcome with testdata/golden/<prefix><name>.json. Each corpus example
// gets documents or a precise refusal. Regenerate with
// go test ./convert/... -update and review the diff.
func TestGolden(t *testing.T) {
	o := testOptions(t)
	for _, s := range []struct {
		dir, prefix string
		optional    bool
	}{
		{"testdata", "", false},
		{corpusDir, "corpus-", true},
	} {
		t.Run(filepath.Base(s.dir), func(t *testing.T) {
			if _, err := os.Stat(s.dir); err != nil {
				if s.optional {
					t.Skipf("corpus directory %s is not present; skipping its golden files", s.dir)
				}
				t.Fatal(err)
			}
			paths, err := filepath.Glob(filepath.Join(s.dir, "*.json"))
			if err != nil || len(paths) == 0 {
				t.Fatalf("no JSON in %s: %v", s.dir, err)
			}
			sort.Strings(paths)
			for _, p := range paths {
				name := s.prefix + strings.TrimSuffix(filepath.Base(p), ".json")
				t.Run(name, func(t *testing.T) {
					raw, err := os.ReadFile(p)
					if err != nil {
						t.Fatal(err)
					}
					docs, err := Convert(raw, o)
					for _, d := range docs {
						if !bytes.Equal(contentOf(d, raw), d.Content) || int64(len(d.Content)) != d.Size {
							t.Errorf("document %s: Content is not the %d bytes its Size says", d.UniqueID, d.Size)
						}
					}
					compareGolden(t, name, outcome(docs, err))
				})
			}
		})
	}
}

// contentOf is what a document's Content must be.
func contentOf(d *docbridge.Document, raw []byte) []byte {
	if d.ContentIsInput {
		return raw
	}
	return d.Content
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
