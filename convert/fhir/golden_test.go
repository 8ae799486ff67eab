package fhir

import (
	"bytes"
	"os"
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

// TestGolden converts every synthetic input of testdata and, when the
// shared corpus is present, every PDSm and PDSM4DMP example, and compares
// the JSON outcome with testdata/golden/<prefix><name>.json. Each corpus
// example gets documents or a precise refusal. Regenerate with
// go test ./convert/... -update and review the diff.
func TestGolden(t *testing.T) {
	o := testOptions(t)
	golden.Each(t, ".json", []golden.Set{
		{Dir: "testdata"},
		{Dir: golden.Corpus("fhir"), Prefix: "corpus-", Corpus: true},
	}, func(t *testing.T, path, name string) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := Convert(raw, o)
		for _, d := range docs {
			if !bytes.Equal(contentOf(d, raw), d.Content) || int64(len(d.Content)) != d.Size {
				t.Errorf("document %s: Content is not the %d bytes its Size says", d.UniqueID, d.Size)
			}
		}
		golden.Compare(t, name+".json", golden.OutcomeOf(docs, err))
	})
}

// contentOf is what a document's Content must be.
func contentOf(d *docbridge.Document, raw []byte) []byte {
	if d.ContentIsInput {
		return raw
	}
	return d.Content
}
