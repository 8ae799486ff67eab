package fhir

import (
	"bytes"
	"encoding/json"
	"strings"

	fm "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/cda"
	"github.com/docbridge/docbridge/traits"
)

// cdaSniff is how far into a content agreeWithCDA looks for a CDA's root.
const cdaSniff = 4 << 10

// agreeWithCDA checks a document whose content is a CDA: the patient the
// FHIR resources give (subject, sourcePatientInfo) and the CDA's
// recordTarget are two sources of one document's identity, and every
// trait both give must be the same (traits.Disagree), else the document
// has an IdentityMismatch problem naming the traits, never their values.
// A content that is not a CDA convert/cda can read is left alone: it is
// sent as it is, and its metadata come from the FHIR resources.
func (c *conv) agreeWithCDA(b *builder, path string) {
	head := b.d.Content[:min(len(b.d.Content), cdaSniff)]
	if !bytes.Contains(head, []byte("ClinicalDocument")) || !bytes.HasPrefix(bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF")), " \t\r\n"), []byte("<")) {
		return
	}
	docs, err := cda.Convert(b.d.Content, c.m, c.loc)
	if err != nil || len(docs) == 0 {
		return
	}
	if diff := traits.Disagree(b.d.Patient, docs[0].Patient); len(diff) > 0 {
		b.errorf(docbridge.IdentityMismatch,
			"%s (subject, sourcePatientInfo) and the CDA it carries (recordTarget) give different %s: the resource and its document name different patients, or one of them is wrong; correct it at the source",
			path, strings.Join(diff, ", "))
	}
}

// agreeWithSubmission checks the documents of an ITI-65 Bundle against the
// subject of one of its Lists (the SubmissionSet, a Folder), a second
// source of their patient: every trait both give must be the same
// (traits.Disagree), else the document has an IdentityMismatch problem
// naming the List and the traits. path names the List's entry. A List
// that cannot be read, or has no subject, is left alone: Lists are not
// kept.
func (c *conv) agreeWithSubmission(docs []*docbridge.Document, raw json.RawMessage, res *resolver, path string) {
	l, err := fm.UnmarshalList(raw)
	if err != nil || l.Subject == nil {
		return
	}
	for _, d := range docs {
		b := &builder{m: c.m, loc: c.loc, d: d}
		for _, s := range b.referenced(l.Subject, res, path+".resource.subject") {
			if diff := traits.Disagree(d.Patient, s); len(diff) > 0 {
				b.errorf(docbridge.IdentityMismatch,
					"%s.resource.subject (the submission's List) and the DocumentReference give different %s: the submission and its document name different patients; correct it at the source",
					path, strings.Join(diff, ", "))
				break
			}
		}
	}
}
