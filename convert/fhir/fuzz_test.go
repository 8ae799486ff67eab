package fhir

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/golden"
)

// FuzzConvert checks that Convert never panics, that a refusal is always
// classified, and that every document it returns has a content whose size
// and hashes it states.
func FuzzConvert(f *testing.F) {
	for _, dir := range []string{"testdata", golden.Corpus("fhir")} {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	for _, s := range []string{`{}`, `{"resourceType": "Bundle"}`, `{"resourceType": "DocumentReference", "contained": [{}]}`} {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile(filepath.Join("..", "..", "samples", "mesures", "observations-bundle.json")); err == nil {
		f.Add(b)
	}
	o := testOptions(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		// Measurements on for odd lengths: both paths from one corpus.
		o := o
		o.Measurements = len(raw)%2 == 1
		docs, err := Convert(raw, o)
		if err != nil {
			if !docbridge.ReasonOf(err).Known() || docbridge.ReasonOf(err) == docbridge.Internal {
				t.Fatalf("Convert: unclassified %v", err)
			}
			return
		}
		if len(docs) == 0 {
			t.Fatal("Convert = no document and no error")
		}
		for _, d := range docs {
			if d.Content == nil && !d.ContentIsInput || int64(len(d.Content)) != d.Size || len(d.SHA256) != 64 {
				t.Fatalf("document %q: %d content bytes, size %d, sha256 %q", d.UniqueID, len(d.Content), d.Size, d.SHA256)
			}
			for _, p := range d.Problems {
				if !p.Code.Known() || p.Message == "" {
					t.Fatalf("problem %+v: unknown reason or no message", p)
				}
			}
		}
	})
}
