package bulk

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert"
	"github.com/docbridge/docbridge/internal/bulk/bulkgen"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/mappings"
)

// pairingMap is an identity.Pairings over a map.
type pairingMap map[string]docbridge.Pairing

func (m pairingMap) PairingsByINS(_ context.Context, ins string) ([]docbridge.Pairing, error) {
	if p, ok := m[ins]; ok {
		return []docbridge.Pairing{p}, nil
	}
	return nil, nil
}

// testOptions are the dry-run options of a generated archive in dir, with
// the real converters and identity rules (environment test).
func testOptions(tb testing.TB, dir string, n int) (Options, bulkgen.Manifest) {
	tb.Helper()
	m, err := bulkgen.Generate(bulkgen.Options{Dir: filepath.Join(dir, "archive"), Documents: n})
	if err != nil {
		tb.Fatal(err)
	}
	maps, err := mappings.Load("")
	if err != nil {
		tb.Fatal(err)
	}
	pm := pairingMap{}
	for _, p := range m.Pairings {
		pm[p.Patient.INS] = p
	}
	co := convert.Options{Mappings: maps}
	io := identity.Options{Environment: identity.Environment("test")}
	return Options{
		Root: filepath.Join(dir, "archive"), ScratchDir: filepath.Join(dir, "tmp"),
		Convert: convert.New(co),
		Check:   func(d *docbridge.Document) []docbridge.Problem { return identity.CheckDocument(d, io) },
		Match:   &identity.Matcher{Pairings: pm},
	}, m
}

// BenchmarkDryRun measures a dry run of a generated archive of 2,000
// files; the whole-command numbers at 10k–100k files come from bench/bulk.
func BenchmarkDryRun(b *testing.B) {
	o, _ := testOptions(b, b.TempDir(), 2000)
	b.ResetTimer()
	for range b.N {
		res, err := DryRun(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		res.Close()
	}
}
