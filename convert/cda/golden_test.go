package cda

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

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const (
	samplesDir = "../../samples"
	// corpusDir is the shared public corpus, next to the project (DESIGN.md
	// §13); its files declare no licence and are only read when present.
	corpusDir = "../../../shared/corpus"
)

var loadMappings = sync.OnceValues(func() (*mappings.Set, error) { return mappings.Load("") })

// testMappings returns the embedded national value sets.
func testMappings(t testing.TB) *mappings.Set {
	t.Helper()
	m, err := loadMappings()
	if err != nil {
		t.Fatalf("mappings.Load: %v", err)
	}
	return m
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

// goldenInput is one file converted by TestGolden.
type goldenInput struct {
	path, name string
}

func xmlFiles(t *testing.T, dir, prefix string) []goldenInput {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	var out []goldenInput
	for _, p := range paths {
		out = append(out, goldenInput{path: p, name: prefix + strings.TrimSuffix(filepath.Base(p), ".xml")})
	}
	return out
}

// TestGolden converts every sample and, when the shared corpus is present,
// every corpus CDA, and compares the JSON outcome with
// testdata/golden/<name>.json. Regenerate with go test ./convert/... -update
// and review the diff.
func TestGolden(t *testing.T) {
	m := testMappings(t)
	sets := []struct {
		dir, prefix string
		optional    bool
	}{
		{samplesDir, "", false},
		{filepath.Join(corpusDir, "cda-fr"), "corpus-fr-", true},
		{filepath.Join(corpusDir, "cda-hl7"), "corpus-hl7-", true},
	}
	for _, s := range sets {
		t.Run(filepath.Base(s.dir), func(t *testing.T) {
			if _, err := os.Stat(s.dir); err != nil {
				if s.optional {
					t.Skipf("corpus directory %s is not present; skipping its golden files", s.dir)
				}
				t.Fatal(err)
			}
			inputs := xmlFiles(t, s.dir, s.prefix)
			if len(inputs) == 0 && !s.optional {
				t.Fatalf("no .xml file in %s", s.dir)
			}
			for _, in := range inputs {
				t.Run(in.name, func(t *testing.T) { checkGolden(t, m, in) })
			}
		})
	}
}

func checkGolden(t *testing.T, m *mappings.Set, in goldenInput) {
	raw, err := os.ReadFile(in.path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(outcome(Convert(raw, m, nil)), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	file := filepath.Join("testdata", "golden", in.name+".json")
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
		t.Errorf("%s differs from its golden file (-want +got):\n%s", in.name, cmp.Diff(string(want), string(got)))
	}
}
