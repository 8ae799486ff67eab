package convert

import (
	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/cda"
)

// The kinds of content, for saying where a source carries a field.
const (
	kindCDA       = "cda"
	kindFHIR      = "fhir"
	kindHL7PDF    = "hl7v2"
	kindPDF       = "pdf"
	defaultLang   = "fr-FR"
	defaultConfid = "N"
)

// requirement is one field a document sent to MES must have once its
// source profile is applied.
type requirement struct {
	field string // document field (Provenance key)
	key   string // the profile's configuration key
	what  string // for messages
	// where says, per kind of content, where a source carries the field.
	where map[string]string
}

// requirements are the fields a source profile can fill, in the order
// their problems are reported. Custodian is optional (a warning),
// language and confidentiality have national defaults except in a CDA,
// whose header must carry them; the others are required.
var requirements = []requirement{
	{fieldType, "document_type", "document type (JDV_J07)", map[string]string{
		kindCDA: "ClinicalDocument/code", kindFHIR: "the type of the DocumentReference or Composition",
		kindHL7PDF: "OBX-3, TXA-2 and OBR-4 give none", kindPDF: "the sidecar's type or the file name's {type}"}},
	{fieldFacilityType, "facility_type", "healthcare facility type (JDV_J02)", map[string]string{
		kindCDA:    "componentOf/encompassingEncounter/location/healthCareFacility/code",
		kindFHIR:   "DocumentReference.context.facilityType, or for a FHIR document the type (TRE_R02) of the Composition's custodian",
		kindHL7PDF: "an HL7 v2 message has no field for it", kindPDF: "the sidecar's facilityType or the file name pattern's"}},
	{fieldPracticeSetting, "practice_setting", "practice setting (JDV_J04)", map[string]string{
		kindCDA:    "documentationOf/serviceEvent/performer/assignedEntity/representedOrganization/standardIndustryClassCode",
		kindFHIR:   "DocumentReference.context.practiceSetting; a FHIR document has no element for it",
		kindHL7PDF: "an HL7 v2 message has no field for it", kindPDF: "the sidecar's practiceSetting or the file name pattern's"}},
	{fieldAuthors, "author", "author", map[string]string{
		kindCDA: "ClinicalDocument/author/assignedAuthor", kindFHIR: "author",
		kindHL7PDF: "TXA-9, TXA-5 and OBR-32 name none", kindPDF: "the sidecar's authors or the file name pattern's"}},
	{fieldCustodian, "custodian", "custodian organisation", map[string]string{
		kindCDA: "custodian/assignedCustodian/representedCustodianOrganization", kindFHIR: "custodian",
		kindHL7PDF: "an HL7 v2 message has no field for it", kindPDF: "the sidecar's custodian or the file name pattern's"}},
	{fieldConfidentiality, "confidentiality", "confidentiality (JDV_J08)", map[string]string{
		kindCDA: "ClinicalDocument/confidentialityCode", kindFHIR: "securityLabel or Composition.confidentiality",
		kindHL7PDF: "an HL7 v2 message has no field for it", kindPDF: "the sidecar's confidentiality or the file name pattern's"}},
	{fieldLanguage, "language", "language", map[string]string{
		kindCDA: "ClinicalDocument/languageCode/@code", kindFHIR: "attachment.language or Composition.language",
		kindHL7PDF: "an HL7 v2 message has no field for it", kindPDF: "the sidecar's language or the file name pattern's"}},
}

// contentKind says what kind of content d is, for messages: an embedded
// CDA of an HL7 v2 message is a CDA.
func contentKind(f docbridge.Format, d *docbridge.Document) string {
	switch {
	case d.ContentType == cda.ContentType && (f == docbridge.FormatCDA || f == docbridge.FormatHL7v2):
		return kindCDA
	case f == docbridge.FormatFHIR:
		return kindFHIR
	case f == docbridge.FormatHL7v2:
		return kindHL7PDF
	}
	return kindPDF
}

// requireMetadata decides, once and after the source profile was applied,
// which of the fields a profile can fill are still missing: each is a
// MissingMetadata problem naming where the source would carry it and the
// profile key that would give it. Fields in invalid already have a
// ProfileInvalid problem. A missing custodian is a warning; a missing
// language or confidentiality is a warning and the national default
// (fr-FR, N) is sent, except in a CDA, whose header must carry both.
func requireMetadata(d *docbridge.Document, kind string, profile *docbridge.Profile, invalid map[string]bool) {
	for _, r := range requirements {
		if !missing(d, r.field) || invalid[r.field] {
			continue
		}
		hint := "no source profile applies to this input: configure one (profiles:) with " + r.key
		if profile != nil {
			hint = profileName(profile) + " gives no " + r.key
		}
		where := r.where[kind]
		switch {
		case r.field == fieldCustodian:
			d.AddProblem(docbridge.MissingMetadata, docbridge.SeverityWarning,
				"the document has no %s (%s) and %s", r.what, where, hint)
		case r.field == fieldLanguage && kind != kindCDA:
			d.Language = defaultLang
			d.AddProblem(docbridge.MissingMetadata, docbridge.SeverityWarning,
				"the document gives no %s (%s) and %s: %s is sent", r.what, where, hint, defaultLang)
		case r.field == fieldConfidentiality && kind != kindCDA:
			d.Confidentiality = defaultConfid
			d.AddProblem(docbridge.MissingMetadata, docbridge.SeverityWarning,
				"the document gives no %s (%s) and %s: %s (normal) is sent", r.what, where, hint, defaultConfid)
		default:
			d.AddProblem(docbridge.MissingMetadata, docbridge.SeverityError,
				"the %s is missing: %s (%s) and %s", r.what, "the document does not carry it", where, hint)
		}
	}
}

// profileName names p in a message; a profile without a name is a bulk
// run's.
func profileName(p *docbridge.Profile) string {
	if p.Name == "" {
		return "the run's source profile"
	}
	return `the source profile "` + clip(p.Name) + `"`
}

// complete applies the source profile selected for key to each document
// and then decides what is still missing (requireMetadata); an
// appointment has its own fields (applyAgenda), and measurements
// (docbridge.KindMeasurement) are left as their converter made them.
func complete(f docbridge.Format, docs []*docbridge.Document, key docbridge.ProfileKey, ps docbridge.Profiles, o Options) {
	p := ps.Select(key)
	for _, d := range docs {
		switch d.Kind {
		case docbridge.KindAppointment:
			applyAgenda(d, p)
			continue
		case docbridge.KindMeasurement:
			continue // a measurement has none of a document's metadata
		}
		invalid := applyProfile(d, p, o.Mappings)
		requireMetadata(d, contentKind(f, d), p, invalid)
	}
}
