package cda

import (
	"github.com/beevik/etree"

	"github.com/docbridge/docbridge"
)

// format derives the formatCode from the body (docs/sources.md §2):
// a structuredBody from the document's templateIds (ASS_A11), a level-1
// nonXMLBody from its text/@mediaType (ASS_12). A level-1 body that only
// refers to an external file cannot be sent: that is an UnsupportedFormat
// problem.
func (b *builder) format(cd *etree.Element) {
	comp := child(cd, "component")
	if comp == nil {
		b.errorf(docbridge.MissingMetadata,
			"the document has no body (ClinicalDocument/component): the format code cannot be derived")
		return
	}
	if child(comp, "structuredBody") != nil {
		var templates []string
		for _, t := range children(cd, "templateId") {
			if r := attr(t, "root"); r != "" {
				templates = append(templates, r)
			}
		}
		c, ok := b.m.FormatForTemplates(templates)
		if !ok {
			b.errorf(docbridge.UnmappedCode,
				"no format code is known for the document's templateIds (ASS_A11): the structured document model is not a French CI-SIS model docbridge knows")
			return
		}
		b.d.Format = c.Code
		return
	}
	nx := child(comp, "nonXMLBody")
	if nx == nil {
		b.errorf(docbridge.MissingMetadata,
			"ClinicalDocument/component has neither structuredBody nor nonXMLBody: the format code cannot be derived")
		return
	}
	txt := child(nx, "text")
	if txt == nil {
		b.errorf(docbridge.MissingMetadata, "component/nonXMLBody has no text element: the document has no content")
		return
	}
	if !hasText(txt) {
		if child(txt, "reference") != nil {
			b.errorf(docbridge.UnsupportedFormat,
				"component/nonXMLBody/text refers to an external file (reference) instead of embedding it; docbridge sends only self-contained documents")
		} else {
			b.errorf(docbridge.MissingMetadata, "component/nonXMLBody/text is empty: the document has no content")
		}
		return
	}
	mt := attr(txt, "mediaType")
	if mt == "" {
		b.errorf(docbridge.MissingMetadata,
			"component/nonXMLBody/text/@mediaType is missing: the format code (ASS_12) cannot be derived")
		return
	}
	c, ok := b.m.FormatForMediaType(mt)
	if !ok {
		b.errorf(docbridge.UnmappedCode,
			"component/nonXMLBody/text/@mediaType %q has no format code in ASS_12 (application/pdf, text/plain, text/rtf, image/jpeg, image/tiff)",
			clip(mt))
		return
	}
	b.d.Format = c.Code
	b.checkPayload(txt, mt)
}
