package hl7v2

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/ident"
	"github.com/docbridge/docbridge/hl7"
	"github.com/docbridge/docbridge/mappings"
)

// PDFContentType is the MIME type of a PDF payload.
const PDFContentType = "application/pdf"

// loincOID is the code system "LN" of OBX-3 and OBR-4.
const loincOID = "2.16.840.1.113883.6.1"

// fromPDF builds a document around a PDF payload from the message's
// segments: uniqueId from TXA-12 (MDM) or OBR-3 (ORU; derived from the
// sending facility when it has no OID), type from the first of OBX-3,
// TXA-2 and OBR-4 that maps to JDV_J07 (local codes included), creation from TXA-4 (else OBR-7, OBX-14, MSH-7), the service
// start from OBR-7 (else TXA-4), the patient from
// PID, authors from TXA-9, TXA-5, OBR-32 or TXA-22, the legal
// authenticator from TXA-22. What HL7 v2 cannot carry (the
// facility type, practice setting, custodian, confidentiality, language)
// and a type or author the message does not give are left empty: the
// source profile of the sender fills them, and what is still missing is
// decided after it (convert.Converter.Convert).
func (c *conv) fromPDF(d docOBX, raw []byte, act docbridge.Action) (*docbridge.Document, error) {
	sum1, sum256 := sha1.Sum(raw), sha256.Sum256(raw)
	doc := &docbridge.Document{
		Action: act, ContentType: PDFContentType,
		Size: int64(len(raw)), SHA1: hex.EncodeToString(sum1[:]), SHA256: hex.EncodeToString(sum256[:]),
		Authors: []docbridge.Author{}, Problems: []docbridge.Problem{}, Content: raw,
	}
	errf := func(r docbridge.Reason, f string, a ...any) { doc.AddProblem(r, docbridge.SeverityError, f, a...) }
	txa, hasTXA := c.msg.Segment("TXA")
	obr, hasOBR := c.msg.Segment("OBR")

	// uniqueId and replacement.
	switch id, ok := uniqueID(txa.Field(12)); {
	case hasTXA && ok:
		doc.UniqueID = id
	case hasTXA && !txa.Field(12).IsEmpty():
		doc.UniqueID = derivedID(c.h.SendingFacility.Text(), txa.Field(12).Text())
	case hasOBR && !obr.Field(3).IsEmpty():
		if id, ok := uniqueID(obr.Field(3)); ok {
			doc.UniqueID = id
		} else {
			doc.UniqueID = derivedID(c.h.SendingFacility.Text(), obr.Field(3).Text())
		}
	default:
		errf(docbridge.MissingMetadata, "TXA-12 and OBR-3 are empty: the PDF document has no identifier")
	}
	if act == docbridge.Replace {
		switch parent, ok := uniqueID(txa.Field(13)); {
		case hasTXA && ok:
			doc.Replaces = parent
		case hasTXA:
			errf(docbridge.MissingMetadata, "TXA-13: a replacement PDF must name the document it replaces (TXA-13, MDM^T10)")
		default:
			errf(docbridge.MissingMetadata,
				"a corrected ORU^R01 (ORC-1 RO, OBX-11 C) carrying a bare PDF does not say which version it replaces: send the correction as MDM^T10 with its id in TXA-12 and the replaced id in TXA-13, or the PDF inside a CDA with relatedDocument RPLC")
		}
	}

	// Type and class: the first of OBX-3, TXA-2 and OBR-4 that JDV_J07 or
	// a local code of local-codes.yaml gives, else the first one given.
	var code hl7.Value
	for _, v := range []hl7.Value{d.seg.Field(3), txa.Field(2), obr.Field(4)} {
		if v.Comp(1).IsEmpty() {
			continue
		}
		if code.Comp(1).IsEmpty() {
			code = v
		}
		if _, ok := c.typeOf(v); ok {
			code = v
			break
		}
	}
	c.typeAndClass(doc, code)
	doc.Title = d.seg.Field(3).Comp(2).Text()
	if doc.Title == "" {
		doc.Title = doc.Type.Display
	}
	if doc.Title == "" && !doc.Type.IsZero() { // a profile's type gives its display as the title
		errf(docbridge.MissingMetadata, "%s: the document has no title (OBX-3.2)", d.at(3, 2))
	}

	// Creation time.
	var at hl7.Value
	for _, v := range []hl7.Value{txa.Field(4), obr.Field(7), d.seg.Field(14), c.msg.Segments()[0].Field(7)} {
		if !v.IsEmpty() {
			at = v
			break
		}
	}
	if t, err := parseDTM(at.Comp(1).Text(), c.loc); err != nil {
		errf(docbridge.MissingMetadata, "TXA-4, OBR-7, OBX-14 and MSH-7 give no valid creation time")
	} else {
		doc.Creation, doc.CreationSource = t.Value, t.Source
	}

	// Service start: the observation (OBR-7), else the act (TXA-4).
	for _, v := range []hl7.Value{obr.Field(7), txa.Field(4)} {
		if t, err := parseDTM(v.Comp(1).Text(), c.loc); err == nil && !v.IsEmpty() {
			doc.ServiceStart = t.Value
			break
		}
	}

	if f, ok := c.m.FormatForMediaType(PDFContentType); ok {
		doc.Format = f.Code
	} else {
		errf(docbridge.UnmappedCode, "no format code is known for application/pdf (ASS_12)")
	}

	doc.Patient = patient(c.msg, doc.AddProblem)
	for _, v := range []hl7.Value{txa.Field(9), txa.Field(5)} {
		for _, r := range v.Reps() {
			if a, ok := xcnAuthor(r); ok {
				doc.Authors = append(doc.Authors, a)
			}
		}
		if len(doc.Authors) > 0 {
			break
		}
	}
	if len(doc.Authors) == 0 && hasOBR {
		if a, ok := cnnAuthor(obr.Field(32).Comp(1)); ok {
			doc.Authors = append(doc.Authors, a)
		}
	}
	// TXA-22 (authentication person, a PPN: an XCN and a time) is the
	// legal authenticator, and the author when nothing else names one.
	for _, r := range txa.Field(22).Reps() {
		if a, ok := xcnAuthor(r); ok {
			doc.LegalAuthenticator = &a
			if len(doc.Authors) == 0 {
				doc.Authors = append(doc.Authors, a)
			}
			break
		}
	}
	return doc, nil
}

// typeOf maps a CE/CWE document type through JDV_J07: a national code
// (CE.3 "LN" or empty for LOINC), or a local code that local-codes.yaml
// maps, its system written as CE.3 gives it ("L", "99LAB", an OID).
func (c *conv) typeOf(v hl7.Value) (docbridge.Coding, bool) {
	return c.m.Lookup(mappings.TypeCodes, typeSystem(v), v.Comp(1).Text())
}

// typeSystem is the code system of a CE/CWE document type.
func typeSystem(v hl7.Value) string {
	if system := v.Comp(3).Text(); system != "" && !strings.EqualFold(system, "LN") {
		return system
	}
	return loincOID
}

// typeAndClass maps a CE/CWE document type through JDV_J07 (typeOf) and
// derives the class (ASS_X04).
func (c *conv) typeAndClass(doc *docbridge.Document, v hl7.Value) {
	code, display, system := v.Comp(1).Text(), v.Comp(2).Text(), typeSystem(v)
	if code == "" {
		return // the source profile may give it
	}
	t, ok := c.typeOf(v)
	if !ok {
		doc.Type = docbridge.Coding{System: mappings.SystemURI(system), Code: code, Display: display}
		doc.AddProblem(docbridge.UnmappedCode, docbridge.SeverityError,
			"the document type %q (system %s) is not in JDV_J07: map it to a national document type", clip(code, 32), clip(system, 40))
		return
	}
	doc.Type = t
	if cl, ok := c.m.ClassOf(t); ok {
		doc.Class = cl
	} else {
		doc.AddProblem(docbridge.UnmappedCode, docbridge.SeverityError, "the document type %q has no class in ASS_X04", clip(code, 32))
	}
}

// xcnAuthor reads an XCN (id^family^given^…^assigning authority in XCN.9).
func xcnAuthor(v hl7.Value) (docbridge.Author, bool) {
	a := docbridge.Author{ID: v.Comp(1).Text(), Name: strings.TrimSpace(v.Comp(3).Text() + " " + v.Comp(2).Sub(1).Text())}
	if oid := v.Comp(9).Sub(2).Text(); ident.IsOID(oid) {
		a.System = "urn:oid:" + oid
	}
	return a, a.ID != "" || a.Name != ""
}

// cnnAuthor reads a CNN (id&family&given&…&namespace&OID&type).
func cnnAuthor(v hl7.Value) (docbridge.Author, bool) {
	a := docbridge.Author{ID: v.Sub(1).Text(), Name: strings.TrimSpace(v.Sub(3).Text() + " " + v.Sub(2).Text())}
	if oid := v.Sub(10).Text(); ident.IsOID(oid) {
		a.System = "urn:oid:" + oid
	}
	return a, a.ID != "" || a.Name != ""
}
