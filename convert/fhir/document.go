package fhir

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	fm "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
)

// DocumentContentType is the MIME type a FHIR document Bundle is sent
// with: the Bundle itself, byte for byte.
const DocumentContentType = "application/fhir+json"

// compositionCodes are the Composition's coded elements samply reads as
// enums whose zero value is a valid code: read raw.
type compositionCodes struct {
	Status    *string `json:"status"`
	RelatesTo []struct {
		Code *string `json:"code"`
	} `json:"relatesTo"`
	Attester []struct {
		Mode *string `json:"mode"`
	} `json:"attester"`
}

// document converts a FHIR document Bundle (type document, its
// Composition first): the Bundle is the content, sent as it is, and the
// metadata come from the Composition and the entries it references. The
// uniqueId is Bundle.identifier (the document's identity), else
// Composition.identifier. FHIR has no place for the practice setting: the
// source profile gives it (convert.Converter.Convert); the facility type is
// read from the custodian's Organization.type when one is a JDV_J02 code.
// The format code is documentFormat's. A Composition
// that is preliminary or entered-in-error refuses the input.
func (c *conv) document(raw []byte) ([]*docbridge.Document, error) {
	bundle, err := fm.UnmarshalBundle(raw)
	if err != nil {
		return nil, malformed("the Bundle", err)
	}
	if len(bundle.Entry) == 0 || len(bundle.Entry[0].Resource) == 0 {
		return nil, docbridge.Errorf(docbridge.Malformed, "the document Bundle has no entry: its first entry must be its Composition")
	}
	res := &resolver{}
	for i, e := range bundle.Entry {
		if len(e.Resource) == 0 {
			continue
		}
		h, err := readHead(e.Resource)
		if err != nil {
			return nil, err
		}
		if i == 0 && h.ResourceType != "Composition" {
			return nil, docbridge.Errorf(docbridge.Malformed,
				"the first entry of a document Bundle must be its Composition, not a resource of type %s", clip(h.ResourceType, 40))
		}
		res.addEntry(str(e.FullUrl), resource{Type: h.ResourceType, Raw: e.Resource}, h.ID)
	}
	compRaw := bundle.Entry[0].Resource
	var codes compositionCodes
	if err := json.Unmarshal(compRaw, &codes); err != nil {
		return nil, malformed("the Composition", err)
	}
	comp, err := fm.UnmarshalComposition(compRaw)
	if err != nil {
		return nil, malformed("the Composition", err)
	}
	if codes.Status == nil {
		return nil, docbridge.Errorf(docbridge.Malformed, "Composition.status is missing")
	}
	if s := *codes.Status; s != "final" && s != "amended" {
		return nil, docbridge.Errorf(docbridge.UnsupportedFormat,
			"Composition.status is %s: docbridge publishes final or amended documents only", clip(s, 24))
	}
	h, _ := readHead(compRaw)
	res = res.withContained(h.Contained)

	sum1, sum256 := sha1.Sum(raw), sha256.Sum256(raw)
	d := &docbridge.Document{
		Action: docbridge.Create, ContentType: DocumentContentType,
		Size: int64(len(raw)), SHA1: hex.EncodeToString(sum1[:]), SHA256: hex.EncodeToString(sum256[:]),
		Authors: []docbridge.Author{}, Problems: []docbridge.Problem{},
		Content: raw, ContentIsInput: true,
	}
	b := &builder{m: c.m, loc: c.loc, d: d}
	const path = "Composition"
	id := bundle.Identifier
	idPath := "Bundle.identifier"
	if id == nil || str(id.Value) == "" {
		id, idPath = comp.Identifier, "Bundle.identifier (and Composition.identifier)"
	}
	d.UniqueID = b.uniqueID(id, idPath)
	for i, r := range comp.RelatesTo {
		code := ""
		if i < len(codes.RelatesTo) && codes.RelatesTo[i].Code != nil {
			code = *codes.RelatesTo[i].Code
		}
		if code != "replaces" {
			b.warnf(docbridge.UnsupportedFormat, "%s.relatesTo[%d] is not a replaces relation; it is ignored", path, i)
			continue
		}
		target, ok := idValue(r.TargetIdentifier)
		if !ok || d.Action == docbridge.Replace {
			b.errorf(docbridge.MissingMetadata,
				"%s.relatesTo[%d].targetIdentifier must give the replaced document's identifier (urn:oid: or urn:uuid:), once", path, i)
			continue
		}
		d.Action, d.Replaces = docbridge.Replace, target
	}
	b.typeAndClass(&comp.Type, comp.Category, path)
	d.Title = comp.Title
	if d.Title == "" {
		b.errorf(docbridge.MissingMetadata, "%s.title is missing: the document has no title", path)
	}
	if comp.Date == "" {
		b.errorf(docbridge.MissingMetadata, "%s.date is missing: the creation time cannot be derived", path)
	} else {
		b.setCreation(comp.Date, path+".date")
	}
	d.Language = str(comp.Language)
	if d.Language == "" {
		d.Language = str(bundle.Language)
	}
	d.Confidentiality = str(comp.Confidentiality)
	if d.Confidentiality != "" && !b.m.Contains(mappings.Confidentiality, mappings.HL7Confidentiality, d.Confidentiality) {
		b.errorf(docbridge.UnmappedCode, "%s.confidentiality %q is not an HL7 v3 code of JDV_J08 (N, R, V)", path, clip(d.Confidentiality, 16))
	}
	b.documentFormat()
	for _, t := range organizationTypes(comp.Custodian, res) {
		for _, cd := range codings(&t) {
			if c, ok := b.m.Lookup(mappings.FacilityTypes, cd.System, cd.Code); ok && d.FacilityType.IsZero() {
				d.FacilityType = c
			}
		}
	}
	for _, ev := range comp.Event {
		if ev.Period != nil && d.ServiceStart == "" {
			d.ServiceStart = b.serviceTime(str(ev.Period.Start), path+".event.period.start")
			d.ServiceStop = b.serviceTime(str(ev.Period.End), path+".event.period.end")
		}
	}
	b.patient(comp.Subject, nil, res, path)
	b.authors(comp.Author, res, path)
	for i, at := range comp.Attester {
		if i < len(codes.Attester) && codes.Attester[i].Mode != nil && *codes.Attester[i].Mode == "legal" {
			if a, ok := b.party(at.Party, res); ok {
				d.LegalAuthenticator = &a
				break
			}
		}
	}
	d.Custodian = b.organization(comp.Custodian, res)
	return []*docbridge.Document{d}, nil
}

// documentFormatCode is the formatCode of a FHIR document: JDV_J10 (and
// JDV_J60 for the DMP) has no code for a FHIR Bundle, and the only one
// that fits is TRE_A06's "Document non référencé IHE ou CI-SIS" — a
// document of no IHE or CI-SIS content model, which a FHIR document Bundle
// is. (urn:ihe:iti:xds:2017:mimeTypeSufficient, used by the PDSm
// examples for non-CDA content, is in neither value set.)
const documentFormatCode = "urn:asipSante:modelesHorsProfils:2011"

// documentFormat sets the formatCode of a FHIR document: the one an
// operator's ASS_12 override maps application/fhir+json to, else
// documentFormatCode.
func (b *builder) documentFormat() {
	if f, ok := b.m.FormatForMediaType(DocumentContentType); ok {
		b.d.Format = f.Code
		return
	}
	if b.m.Contains(mappings.FormatCodes, mappings.ANSFormatSystem, documentFormatCode) {
		b.d.Format = documentFormatCode
		return
	}
	b.errorf(docbridge.UnmappedCode,
		"JDV_J10 has no formatCode for a FHIR document (neither %s nor an ASS_12 entry for %s): map one in a mappings override", documentFormatCode, DocumentContentType)
}
