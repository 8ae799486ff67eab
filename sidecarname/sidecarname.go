// Package sidecarname holds the naming rule of a PDF's sidecar, shared by
// the drop folder (watch), bulk (internal/bulk) and inspect: which names
// are a PDF's, which a sidecar's, and under which names, in which order, a
// PDF's sidecar is looked for beside it. It only computes names; the
// callers look at the file system (a sidecar must be a regular file, and a
// .json that is a FHIR resource is an input of its own, never a sidecar).
// It imports only the standard library.
//
// The rule: X.pdf, its extension in any case, takes as sidecar the first
// of X.json, X.yaml, X.yml found beside it (Beside), each extension in any
// case: lower first, then upper, then mixed (X.json, X.JSON, X.Json, …).
// Bulk alone also reads the names practice software exports, X.pdf.json
// and so on (Exported), after those: an archive holds them, the drop
// folder's senders do not write them.
package sidecarname

import (
	"path/filepath"
	"strings"
)

// exts are the extensions of a sidecar, in the order they are looked for.
var exts = []string{".json", ".yaml", ".yml"}

// IsPDF reports whether name is a PDF's: <stem>.pdf, the extension in any
// case.
func IsPDF(name string) bool { return strings.EqualFold(filepath.Ext(name), ".pdf") }

// HasSidecarExt reports whether name has a sidecar's extension: .json,
// .yaml or .yml, in any case. Whether the file is a sidecar depends on a
// PDF beside it (PDFs).
func HasSidecarExt(name string) bool {
	ext := filepath.Ext(name)
	for _, e := range exts {
		if strings.EqualFold(ext, e) {
			return true
		}
	}
	return false
}

// Stem is name without its extension.
func Stem(name string) string { return strings.TrimSuffix(name, filepath.Ext(name)) }

// Beside returns the names, in the order they are looked for, under which
// the sidecar of the PDF named pdf (IsPDF) may be beside it: its stem with
// each extension in each of its casings, lower case first, then upper case,
// then the mixed ones (x.json, x.JSON, x.Json, …).
func Beside(pdf string) []string { return after(Stem(pdf)) }

// Exported returns the names practice software gives the sidecar of the PDF
// named pdf, in the order they are looked for: pdf with each extension, in
// each casing as Beside (X.pdf.json, X.pdf.JSON, …). Only bulk reads them,
// after Beside's.
func Exported(pdf string) []string { return after(pdf) }

func after(stem string) []string {
	var out []string
	for _, ext := range exts {
		for _, c := range casings(ext) {
			out = append(out, stem+c)
		}
	}
	return out
}

// PDFs returns the names of the PDF whose sidecar (Beside) the file named
// side may be: its stem with .pdf in each of its eight casings, nil when
// side has no sidecar extension. A caller looks for each; it never needs
// to list a folder.
func PDFs(side string) []string {
	if !HasSidecarExt(side) {
		return nil
	}
	stem := Stem(side)
	var out []string
	for _, c := range casings(".pdf") {
		out = append(out, stem+c)
	}
	return out
}

// casings returns ext (lower case, with its dot) in every casing of its
// letters: lower case first, upper case second, then the mixed ones.
func casings(ext string) []string {
	letters := len(ext) - 1
	all := 1<<letters - 1
	out := []string{ext, strings.ToUpper(ext)}
	for mask := 1; mask < all; mask++ {
		b := []byte(ext)
		for j := range letters {
			if mask&(1<<j) != 0 {
				b[1+j] -= 'a' - 'A'
			}
		}
		out = append(out, string(b))
	}
	return out
}
