package cda

import (
	"github.com/beevik/etree"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
)

// confidentialitySystem is HL7 v3 Confidentiality, the system assumed for a
// confidentialityCode that does not name one.
const confidentialitySystem = "2.16.840.1.113883.5.25"

// identity reads the document's id (uniqueId), setId and versionNumber.
func (b *builder) identity(cd *etree.Element) {
	if id, ok := readII(child(cd, "id")); !ok {
		b.errorf(docbridge.MissingMetadata,
			"ClinicalDocument/id is missing or has no root: the document has no unique identifier")
	} else {
		uid, ok := id.uniqueID()
		b.d.UniqueID = uid
		if !ok {
			b.errorf(docbridge.MissingMetadata,
				"ClinicalDocument/id/@root is neither an OID nor a UUID and has no extension: it cannot be a uniqueId")
		}
	}
	if id, ok := readII(child(cd, "setId")); ok {
		b.d.SetID, _ = id.uniqueID()
	}
	b.d.Version = attr(child(cd, "versionNumber"), "value")
}

// typeAndClass reads the document type from code (JDV_J07) and derives the
// class (TRE_A03 through ASS_X04). When the code itself is not in JDV_J07, a
// code/translation that is (a local code translated to the national one) is
// used instead.
func (b *builder) typeAndClass(cd *etree.Element) {
	ce := child(cd, "code")
	if code, system, _, ok := coded(ce); ok && !b.m.Contains(mappings.TypeCodes, system, code) {
		for _, tr := range children(ce, "translation") {
			if c, s, _, ok := coded(tr); ok && b.m.Contains(mappings.TypeCodes, s, c) {
				ce = tr
				break
			}
		}
	}
	typ, ok := b.lookup(ce, mappings.TypeCodes, "ClinicalDocument/code", "document type")
	b.d.Type = typ
	if !ok {
		return
	}
	class, ok := b.m.ClassOf(typ)
	if !ok {
		b.errorf(docbridge.UnmappedCode,
			"the document type %q has no class in ASS_X04: the class code (TRE_A03) cannot be derived", clip(typ.Code))
		return
	}
	b.d.Class = class
}

// descriptive reads title, effectiveTime (creation), confidentialityCode
// (checked against JDV_J08) and languageCode.
func (b *builder) descriptive(cd *etree.Element) {
	b.d.Title = text(child(cd, "title"))
	if b.d.Title == "" {
		b.errorf(docbridge.MissingMetadata, "ClinicalDocument/title is missing or empty: the document has no title")
	}

	et := child(cd, "effectiveTime")
	switch v := attr(et, "value"); {
	case v == "":
		b.errorf(docbridge.MissingMetadata,
			"ClinicalDocument/effectiveTime/@value is missing: the creation time cannot be derived")
	default:
		ts, err := parseTS(v, b.loc)
		if err != nil {
			b.errorf(docbridge.MissingMetadata,
				"ClinicalDocument/effectiveTime/@value is not a valid HL7 timestamp (%v): the creation time cannot be derived", err)
			break
		}
		b.d.Creation, b.d.CreationSource = ts.Value, ts.Source
		if ts.Date {
			b.warnf(docbridge.MissingMetadata,
				"ClinicalDocument/effectiveTime has no time of day: the creation time is only a date")
		}
	}

	conf := child(cd, "confidentialityCode")
	code, system, _, ok := coded(conf)
	if ok { // a missing one is decided after the source profile
		b.d.Confidentiality = code
		if system == "" {
			system = confidentialitySystem
		}
		if !b.m.Contains(mappings.Confidentiality, system, code) {
			b.errorf(docbridge.UnmappedCode,
				"ClinicalDocument/confidentialityCode %q (system %s) is not in JDV_J08 (N, R, V or a TRE_A07 visibility code)",
				clip(code), clip(system))
		}
	}

	b.d.Language = attr(child(cd, "languageCode"), "code") // "" is decided after the source profile
}

// relations reads relatedDocument: an RPLC parent makes the document a
// replacement of that parent's uniqueId.
func (b *builder) relations(cd *etree.Element) {
	for _, rd := range children(cd, "relatedDocument") {
		switch tc := attr(rd, "typeCode"); tc {
		case "RPLC":
			if b.d.Action == docbridge.Replace {
				b.warnf(docbridge.MissingMetadata,
					"the document has more than one relatedDocument RPLC; only the first is used")
				continue
			}
			id, ok := readII(child(child(rd, "parentDocument"), "id"))
			if !ok {
				b.errorf(docbridge.MissingMetadata,
					"relatedDocument[@typeCode='RPLC'] has no parentDocument/id: the replaced document is unknown")
				continue
			}
			parent, ok := id.uniqueID()
			if !ok {
				b.errorf(docbridge.MissingMetadata,
					"relatedDocument RPLC parentDocument/id/@root is neither an OID nor a UUID and has no extension")
			}
			if parent == b.d.UniqueID {
				b.errorf(docbridge.Malformed,
					"relatedDocument RPLC names the document's own id: a document cannot replace itself")
				continue
			}
			b.d.Action, b.d.Replaces = docbridge.Replace, parent
		default:
			b.warnf(docbridge.UnsupportedFormat,
				"relatedDocument typeCode %q is not supported (only RPLC is); the document is sent as a new document", clip(tc))
		}
	}
	if b.d.Action == docbridge.Replace && b.d.SetID == "" {
		b.warnf(docbridge.MissingMetadata,
			"the document replaces another but has no setId: versions cannot be tied together by setId")
	}
}
