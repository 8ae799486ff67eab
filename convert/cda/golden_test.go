package cda

import (
	"os"
	"testing"

	"github.com/docbridge/docbridge/convert/internal/golden"
)

const samplesDir = "../../samples"

// TestGolden converts every sample and, when the shared corpus is present,
// every corpus CDA, and compares the JSON outcome with
// testdata/golden/<name>.json. Regenerate with go test ./convert/... -update
// and review the diff.
func TestGolden(t *testing.T) {
	m := golden.Mappings(t)
	golden.Each(t, ".xml", []golden.Set{
		{Dir: samplesDir},
		{Dir: golden.Corpus("cda-fr"), Prefix: "corpus-fr-", Corpus: true},
		{Dir: golden.Corpus("cda-hl7"), Prefix: "corpus-hl7-", Corpus: true},
	}, func(t *testing.T, path, name string) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		golden.Compare(t, name+".json", golden.OutcomeOf(Convert(raw, m, nil)))
	})
}
