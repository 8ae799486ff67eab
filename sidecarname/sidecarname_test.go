package sidecarname

import (
	"slices"
	"testing"
)

// TestRule checks the names of the rule for the forms every caller must
// treat alike: a PDF's extension in any case, a sidecar's in any case
// (lower, then upper, then mixed), and the practice-software form only
// through Exported.
func TestRule(t *testing.T) {
	tests := []struct {
		name     string
		pdf      bool
		sideExt  bool
		beside   []string // Beside(name) holds these, in this order, for a PDF
		pdfsHave string   // a name PDFs(name) must hold, for a sidecar
	}{
		{name: "x.pdf", pdf: true, beside: []string{"x.json", "x.JSON", "x.Json", "x.jSoN", "x.yaml", "x.YAML", "x.yml", "x.YML", "x.Yml"}},
		{name: "x.PDF", pdf: true, beside: []string{"x.json", "x.JSON", "x.yaml", "x.YAML", "x.yaML", "x.yml", "x.YML"}},
		{name: "x.pDf", pdf: true, beside: []string{"x.json", "x.JSON", "x.yaml", "x.YAML", "x.yml", "x.YML"}},
		{name: "a.b.Pdf", pdf: true, beside: []string{"a.b.json", "a.b.JSON", "a.b.yaml", "a.b.YAML", "a.b.yml", "a.b.YML"}},
		{name: "x.json", sideExt: true, pdfsHave: "x.pDf"},
		{name: "x.yaml", sideExt: true, pdfsHave: "x.PDF"},
		{name: "x.yml", sideExt: true, pdfsHave: "x.pdf"},
		{name: "x.Json", sideExt: true, pdfsHave: "x.Pdf"},
		{name: "x.pdf.json", sideExt: true, pdfsHave: "x.pdf.pdf"},
		{name: "x.xml"},
		{name: "x.pdfx"},
		{name: "pdf"},
	}
	for _, tt := range tests {
		if got := IsPDF(tt.name); got != tt.pdf {
			t.Errorf("IsPDF(%q) = %t, want %t", tt.name, got, tt.pdf)
		}
		if got := HasSidecarExt(tt.name); got != tt.sideExt {
			t.Errorf("HasSidecarExt(%q) = %t, want %t", tt.name, got, tt.sideExt)
		}
		if tt.pdf {
			beside := Beside(tt.name)
			if len(beside) != 16+16+8 || len(slices.Compact(slices.Sorted(slices.Values(beside)))) != len(beside) {
				t.Errorf("Beside(%q) = %q, want every casing of .json, .yaml and .yml once", tt.name, beside)
			}
			if !inOrder(beside, tt.beside) {
				t.Errorf("Beside(%q) = %q, want %q in this order", tt.name, beside, tt.beside)
			}
		}
		pdfs := PDFs(tt.name)
		if tt.sideExt != (len(pdfs) == 8) {
			t.Errorf("PDFs(%q) = %q, want 8 names for a sidecar's name, none otherwise", tt.name, pdfs)
		}
		for _, p := range pdfs {
			if !IsPDF(p) || Stem(p) != Stem(tt.name) {
				t.Errorf("PDFs(%q) holds %q, not a PDF of the same stem", tt.name, p)
			}
		}
		if tt.pdfsHave != "" && !slices.Contains(pdfs, tt.pdfsHave) {
			t.Errorf("PDFs(%q) = %q, want it to hold %q", tt.name, pdfs, tt.pdfsHave)
		}
	}
	if got, want := Exported("x.pDf"), []string{"x.pDf.json", "x.pDf.JSON", "x.pDf.Json", "x.pDf.yaml", "x.pDf.YAML", "x.pDf.yml", "x.pDf.YML"}; !inOrder(got, want) {
		t.Errorf("Exported(x.pDf) = %q, want %q in this order", got, want)
	}
	// Every PDF's Beside name leads back to it through PDFs.
	for _, pdf := range []string{"x.pdf", "x.PDF", "x.pDf", "x.PdF"} {
		for _, side := range Beside(pdf) {
			if !slices.Contains(PDFs(side), pdf) {
				t.Errorf("PDFs(%q) does not hold %q", side, pdf)
			}
		}
	}
}

// inOrder reports whether all holds each of want, in want's order.
func inOrder(all, want []string) bool {
	i := 0
	for _, a := range all {
		if i < len(want) && a == want[i] {
			i++
		}
	}
	return i == len(want)
}
