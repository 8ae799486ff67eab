package bulk

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/sidecarname"
)

// taken is a file of the archive made ready for conversion: its bytes, its
// origin, its row of the index, and a note for its report rows (a sidecar
// file that the row contradicts on the document's type or date).
type taken struct {
	raw  []byte
	org  docbridge.Origin
	row  joined
	note string
}

// take joins a file to its index row, reads it and builds its origin, as
// the dry run and the run both do. A PDF with a row and no sidecar file
// takes the row as its sidecar. A PDF with both keeps its sidecar file, but
// when the two name the patient differently the file ends here, in review
// for identity-mismatch, rather than the sidecar winning silently. The
// item is non-nil when the file ends before conversion (unreadable, a
// duplicate, a sidecar that cannot be taken, that disagreement).
func (e *engine) take(ctx context.Context, en entry) (taken, *Item, error) {
	row, err := e.joinIndex(ctx, en.rel)
	if err != nil {
		return taken{}, nil, err
	}
	t := taken{row: row}
	raw, it, err := e.read(ctx, en)
	if err != nil || it != nil {
		return t, it, err
	}
	t.raw = raw
	org, it := e.origin(en)
	if it != nil {
		return t, it, nil
	}
	t.org = org
	switch {
	case row.line == 0:
	case org.Sidecar == nil && isPDF(en.rel, raw):
		t.org.Sidecar = row.sidecar
	case org.Sidecar != nil && e.o.Convert != nil:
		it, note := e.sidecarAgainstRow(en.rel, t)
		t.note = note
		return t, it, nil
	}
	return t, nil, nil
}

// isPDF reports whether a file is a PDF by its name or its first bytes.
func isPDF(rel string, raw []byte) bool {
	return sidecarname.IsPDF(rel) || bytes.HasPrefix(raw, []byte("%PDF-"))
}

// sidecarAgainstRow compares the patient a PDF's sidecar file names with
// its index row's, trait by trait, where both give one; it returns the
// file's review item when they differ, nil otherwise (or when the PDF does
// not convert: its own refusal then says why). When they agree on the
// patient but not on the document's type or creation date, the sidecar
// file's values are used and the note says so.
func (e *engine) sidecarAgainstRow(rel string, t taken) (*Item, string) {
	_, docs, err := e.o.Convert.Convert(bytes.NewReader(t.raw), int64(len(t.raw)), t.org)
	if err != nil {
		return nil, ""
	}
	rs := readRowSidecar(t.row.sidecar)
	row := rs.patient()
	var note []string
	for _, d := range docs {
		var traits []string
		for _, df := range identity.Compare(d.Patient, row) {
			if df.Document != "" && df.Paired != "" {
				traits = append(traits, df.Trait)
			}
		}
		if len(traits) > 0 {
			return &Item{Path: rel, Format: docbridge.FormatPDF, Outcome: Review, Reason: docbridge.IdentityMismatch,
				Message: fmt.Sprintf("the PDF's sidecar file and line %d of the index name the patient differently (%s): "+
					"the sidecar file is the one read, but not over a disagreement: correct the one that is wrong, then run the same command again",
					t.row.line, strings.Join(traits, ", "))}, ""
		}
		if rs.Type != nil && rs.Type.System == "http://loinc.org" && d.Type.Code != "" && d.Type.Code != rs.Type.Code {
			note = append(note, "type")
		}
		if c := rs.Creation; len(c) >= 10 && len(d.Creation) >= 10 && c[:10] != d.Creation[:10] {
			note = append(note, "creation date")
		}
	}
	if len(note) == 0 {
		return nil, ""
	}
	return nil, fmt.Sprintf("the sidecar file and line %d of the index differ on the %s: the sidecar file's is used", t.row.line, strings.Join(note, " and "))
}
