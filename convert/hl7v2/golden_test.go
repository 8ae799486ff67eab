package hl7v2

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

const (
	samplesDir = "../../samples"
	// corpusDir is the shared public corpus (DESIGN.md §13); its files
	// declare no licence: they are read in place, never copied.
	corpusDir = "../../../shared/corpus/hl7v2"
)

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

func hl7Files(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.hl7"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	return paths
}

// TestGolden converts every synthetic message (testdata, samples) and, when
// the shared corpus is present, every ANS example, and compares the JSON
// outcome with testdata/golden/<prefix><name>.json. Regenerate with
// go test ./convert/... -update and review the diff.
func TestGolden(t *testing.T) {
	o := testOptions(t)
	sets := []struct {
		dir, prefix string
		optional    bool
	}{
		{"testdata", "", false},
		{samplesDir, "sample-", false},
		{corpusDir, "corpus-", true},
	}
	for _, s := range sets {
		t.Run(filepath.Base(s.dir), func(t *testing.T) {
			if _, err := os.Stat(s.dir); err != nil {
				if s.optional {
					t.Skipf("corpus directory %s is not present; skipping its golden files", s.dir)
				}
				t.Fatal(err)
			}
			paths := hl7Files(t, s.dir)
			if len(paths) == 0 && !s.optional {
				t.Fatalf("no .hl7 file in %s", s.dir)
			}
			for _, p := range paths {
				name := s.prefix + strings.TrimSuffix(filepath.Base(p), ".hl7")
				t.Run(name, func(t *testing.T) { checkGolden(t, o, p, name) })
			}
		})
	}
}

func checkGolden(t *testing.T, o Options, path, name string) {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(outcome(Convert(raw, o)), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	file := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
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
