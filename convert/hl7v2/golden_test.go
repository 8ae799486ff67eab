package hl7v2

import (
	"os"
	"testing"
	"time"

	"github.com/docbridge/docbridge/convert/internal/golden"
)

const samplesDir = "../../samples"

// testOptions are the options of every test: UTC, so that goldens do not
// depend on the machine's zone database.
func testOptions(t testing.TB) Options {
	return Options{Mappings: golden.Mappings(t), Location: time.UTC}
}

// TestGolden converts every synthetic message (testdata, samples) and, when
// the shared corpus is present, every ANS example, and compares the JSON
// outcome with testdata/golden/<prefix><name>.json. Regenerate with
// go test ./convert/... -update and review the diff.
func TestGolden(t *testing.T) {
	o := testOptions(t)
	golden.Each(t, ".hl7", []golden.Set{
		{Dir: "testdata"},
		{Dir: samplesDir, Prefix: "sample-"},
		{Dir: golden.Corpus("hl7v2"), Prefix: "corpus-", Corpus: true},
	}, func(t *testing.T, path, name string) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		golden.Compare(t, name+".json", golden.OutcomeOf(Convert(raw, o)))
	})
}
