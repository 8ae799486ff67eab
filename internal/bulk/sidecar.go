package bulk

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/sidecarname"
)

// The sidecar rule is package sidecarname's, the drop folder's: X.pdf
// (the extension in any case) takes X.json, X.yaml or X.yml beside it,
// looked for in that order, each extension in any case (sidecarname); only
// a regular file is a sidecar, and a .json that is a FHIR resource (it
// names "resourceType") is an input of its own, never a sidecar. An
// archive is read with the same rule, then, deliberately for archives only,
// with the names practice software exports (sidecarname.Exported),
// X.pdf.json, X.pdf.yaml and X.pdf.yml, in that order. A PDF takes the
// first sidecar found; any other candidate stays an input of its own (and
// is refused as such), so that no file of the archive is left out
// unreported.

// DropSidecar returns the path of the sidecar the drop folder pairs with
// the PDF at pdf (X.json, X.yaml or X.yml beside X.pdf), or "" when pdf is
// not named as a PDF or has no sidecar. It only looks at names and file
// types, and at the head of a .json candidate (FHIR or not).
func DropSidecar(pdf string) string {
	if !sidecarname.IsPDF(pdf) {
		return ""
	}
	return firstSidecar(sidecarname.Beside(pdf))
}

// sidecarOf returns the path of the sidecar the PDF at pdf takes in an
// archive: the drop folder's, else X.pdf.json, X.pdf.yaml or X.pdf.yml;
// "" when it has none.
func sidecarOf(pdf string) string {
	if s := DropSidecar(pdf); s != "" || !sidecarname.IsPDF(pdf) {
		return s
	}
	return firstSidecar(sidecarname.Exported(pdf))
}

// isSidecar reports whether p is the sidecar a PDF beside it takes: the
// walker leaves it out, the PDF's origin carries it.
func isSidecar(p string) bool {
	pdfs := sidecarname.PDFs(p) // X.json
	if pdfs == nil {
		return false
	}
	if stem := sidecarname.Stem(p); sidecarname.IsPDF(stem) {
		pdfs = append(pdfs, stem) // X.pdf.json
	}
	for _, pdf := range pdfs {
		if exists(pdf) && sidecarOf(pdf) == p {
			return true
		}
	}
	return false
}

// firstSidecar returns the first of the paths names that is a sidecar
// file, or "": a regular file, and for a .json not a FHIR resource.
func firstSidecar(names []string) string {
	for _, p := range names {
		fi, err := os.Lstat(p)
		if err == nil && fi.Mode().IsRegular() && !(strings.EqualFold(filepath.Ext(p), ".json") && fhirResource(p)) {
			return p
		}
	}
	return ""
}

// fhirResource reports whether a JSON file names a resourceType in its
// first 64 KiB: it is then a FHIR input, not a sidecar.
func fhirResource(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	return bytes.Contains(head[:n], []byte(`"resourceType"`))
}

// ReadSidecar reads the sidecar at p. A sidecar over docbridge.MaxSidecar
// bytes is an *docbridge.Error of reason TooLarge and an empty one of
// reason Malformed, each with a sentence saying what to do; an error
// without a reason means the file could not be read. It reads at most
// MaxSidecar+1 bytes.
func ReadSidecar(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, docbridge.MaxSidecar+1))
	switch {
	case err != nil:
		return nil, err
	case len(b) > docbridge.MaxSidecar:
		return nil, docbridge.Errorf(docbridge.TooLarge,
			"the PDF's sidecar is over %d bytes: a sidecar holds the document's metadata only; shorten it", docbridge.MaxSidecar)
	case len(bytes.TrimSpace(b)) == 0:
		return nil, docbridge.Errorf(docbridge.Malformed,
			"the PDF's sidecar is empty: write the document's metadata in it (see convert/pdf/testdata/cr-bio.json), or remove it")
	}
	return b, nil
}

// sidecarItem is the item of a PDF whose sidecar at side cannot be taken
// (err from ReadSidecar): failed for a sidecar too large or empty,
// unreadable otherwise. The message starts with the sidecar's base name.
func sidecarItem(rel, side string, err error) *Item {
	name := filepath.Base(side)
	var de *docbridge.Error
	if errors.As(err, &de) {
		return &Item{Path: rel, Outcome: Failed, Reason: de.Reason, Message: name + ": " + de.Msg}
	}
	return &Item{Path: rel, Outcome: Unreadable, Message: name + ": the PDF's sidecar cannot be read: " + ioCause(err)}
}
