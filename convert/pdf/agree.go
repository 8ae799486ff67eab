package pdf

import (
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/traits"
)

// agree checks a PDF's two sources of identity: the sidecar, which fills
// the document, and its file name, when a pattern of filename-patterns.yaml
// matches it too. Each trait both give (the INS value, the five strict
// traits) must be the same after normalisation (traits.Disagree);
// otherwise the document stops in review with IdentityMismatch, naming the
// two sources and the traits, never their values. Nothing is guessed: the
// sidecar does not win silently. A trait only one source gives is no
// disagreement (the sidecar's absence of it is reported as missing).
func (b *builder) agree(fm mappings.FilenameMatch) {
	where := "the file name (pattern " + clip(fm.Pattern.Name, 40) + ")"
	named := &builder{m: b.m, loc: b.loc, d: &docbridge.Document{}}
	named.namePatient(fm, where)
	// A name carries the INS value only; its system is the pattern's
	// setting (NIR by default), which says nothing of this PDF.
	named.d.Patient.INSSystem = ""
	if diff := traits.Disagree(b.d.Patient, named.d.Patient); len(diff) > 0 {
		b.errorf(docbridge.IdentityMismatch,
			"the sidecar and %s give different %s: docbridge cannot tell which identifies the patient; correct the wrong one at the source and send the PDF again",
			where, strings.Join(diff, ", "))
	}
}
