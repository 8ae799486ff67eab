package pdf

import (
	"path/filepath"
	"testing"

	"github.com/docbridge/docbridge"
)

// FuzzParseSidecar checks that any sidecar is either refused with a
// classified error or read, and that a read one fills a document without
// panic (the PDF checks, pdfcpu's above all, are left out: they do not
// depend on the sidecar and would slow the fuzzer down a hundredfold).
func FuzzParseSidecar(f *testing.F) {
	for _, pattern := range []string{"*.json", "*.yaml"} {
		paths, _ := filepath.Glob(filepath.Join("testdata", pattern))
		for _, p := range paths {
			f.Add(readTestdata(f, filepath.Base(p)))
		}
	}
	for _, s := range []string{"", "{}", "type: x\n", "- a\n", `{"patient": {"firstNames": "A B"}}`, "patient: {firstNames: [a]}\n"} {
		f.Add([]byte(s))
	}
	o := testOptions(f)
	f.Fuzz(func(t *testing.T, side []byte) {
		s, err := ParseSidecar(side)
		if err != nil {
			if r := docbridge.ReasonOf(err); r != docbridge.Malformed && r != docbridge.TooLarge {
				t.Fatalf("ParseSidecar: unclassified %v", err)
			}
			return
		}
		if s == nil {
			t.Fatal("ParseSidecar = nil, nil")
		}
		d := &docbridge.Document{Size: 1, SHA1: "00", SHA256: "00", Problems: []docbridge.Problem{}}
		b := &builder{m: o.Mappings, loc: o.Location, d: d}
		b.fromSidecar(s)
		for _, p := range d.Problems {
			if !p.Code.Known() || p.Message == "" {
				t.Fatalf("problem %+v: unknown reason or no message", p)
			}
		}
	})
}
