package golden

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// corpusRoot is ../shared/corpus next to the module root, relative to the
// working directory (a package's directory under go test).
var corpusRoot = sync.OnceValue(func() string {
	rel := filepath.Join("..", "shared", "corpus")
	dir, err := os.Getwd()
	for err == nil {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return rel
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir, rel = parent, filepath.Join("..", rel)
	}
	return filepath.Join("..", "shared", "corpus")
})

// Corpus returns the directory of one set of the shared public corpus
// (docs/architecture.md §10): "cda-fr", "cda-hl7", "fhir" or "hl7v2". Its files
// declare no licence: they are read in place, never copied. The directory
// may be absent (RequireDir).
func Corpus(set string) string {
	return filepath.Join(corpusRoot(), set)
}

// RequireDir checks that dir exists. When it does not, t is skipped if
// dir is in the shared corpus, failed otherwise.
func RequireDir(t testing.TB, dir string, corpus bool) {
	t.Helper()
	if _, err := os.Stat(dir); err != nil {
		if corpus {
			t.Skipf("corpus directory %s is not present; skipping its golden files", dir)
		}
		t.Fatal(err)
	}
}

// Set is a directory of inputs and the prefix of their golden files'
// names.
type Set struct {
	Dir, Prefix string
	// Corpus marks a directory of the shared corpus: absent, it is skipped.
	Corpus bool
}

// Each runs check, as the subtest <base of Dir>/<Prefix><stem>, on every
// file of each set whose name ends in ext, in name order; name is
// <Prefix><stem>, the golden file's name without ".json". A set directory
// without such a file fails t, and so does an absent one (RequireDir).
func Each(t *testing.T, ext string, sets []Set, check func(t *testing.T, path, name string)) {
	t.Helper()
	for _, s := range sets {
		t.Run(filepath.Base(s.Dir), func(t *testing.T) {
			RequireDir(t, s.Dir, s.Corpus)
			paths, err := filepath.Glob(filepath.Join(s.Dir, "*"+ext))
			if err != nil || len(paths) == 0 {
				t.Fatalf("no %s file in %s: %v", ext, s.Dir, err)
			}
			slices.Sort(paths)
			for _, p := range paths {
				name := s.Prefix + strings.TrimSuffix(filepath.Base(p), ext)
				t.Run(name, func(t *testing.T) { check(t, p, name) })
			}
		})
	}
}
