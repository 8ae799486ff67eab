package convert

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/ident"
	"github.com/docbridge/docbridge/mappings"
)

// The fields a source profile can fill, by their JSON name in
// docbridge.Document (the keys of Document.Provenance).
const (
	fieldFacilityType    = "facilityType"
	fieldPracticeSetting = "practiceSetting"
	fieldCustodian       = "custodian"
	fieldAuthors         = "authors"
	fieldConfidentiality = "confidentiality"
	fieldLanguage        = "language"
	fieldType            = "type"
)

// idNatPS is the system of a health professional's national id (IdNat_PS:
// "8" followed by the RPPS number).
const idNatPS = "urn:oid:1.2.250.1.71.4.2.1"

// languageTag is what a profile's language may be: a BCP 47 language with
// an optional region (fr, fr-FR).
var languageTag = regexp.MustCompile(`^[a-z]{2,3}(-[A-Z]{2})?$`)

// profileValues are a profile's values translated through the value sets.
// A field the profile does not give, or gives wrongly, is zero.
type profileValues struct {
	facility, practice docbridge.Coding
	typ, class         docbridge.Coding
	custodian          *docbridge.Organization
	author             *docbridge.Author
	confidentiality    string
	language           string
}

// profileError is a profile value the value sets do not know.
type profileError struct {
	field string // the document field it would fill (fieldFacilityType …)
	key   string // the configuration key (facility_type …)
	msg   string
}

// resolveProfile translates p's codes into codings with their systems and
// displays, and returns the values that do not translate.
func resolveProfile(p *docbridge.Profile, m *mappings.Set) (profileValues, []profileError) {
	var (
		v    profileValues
		errs []profileError
	)
	bad := func(field, key, format string, args ...any) {
		errs = append(errs, profileError{field, key, fmt.Sprintf(format, args...)})
	}
	code := func(field, key, value, vs, what string) docbridge.Coding {
		if value == "" {
			return docbridge.Coding{}
		}
		c, ok := m.Code(vs, value)
		if !ok {
			bad(field, key, "%q is not a %s code (%s)", clip(value), vs, what)
		}
		return c
	}
	v.facility = code(fieldFacilityType, "facility_type", p.FacilityType, mappings.FacilityTypes, "healthcare facility type, e.g. SA25")
	v.practice = code(fieldPracticeSetting, "practice_setting", p.PracticeSetting, mappings.PracticeSettings, "practice setting: AMBULATOIRE or ETABLISSEMENT")
	if p.DocumentType != "" {
		if t := code(fieldType, "document_type", p.DocumentType, mappings.TypeCodes, "document type, or a local code of local-codes.yaml"); !t.IsZero() {
			if cl, ok := m.ClassOf(t); ok {
				v.typ, v.class = t, cl
			} else {
				bad(fieldType, "document_type", "%q has no class in ASS_X04", clip(p.DocumentType))
			}
		}
	}
	if c := p.Confidentiality; c != "" {
		if m.Contains(mappings.Confidentiality, mappings.HL7Confidentiality, c) {
			v.confidentiality = c
		} else {
			bad(fieldConfidentiality, "confidentiality", "%q is not an HL7 v3 confidentiality code of JDV_J08 (N, R or V)", clip(c))
		}
	}
	if l := p.Language; l != "" {
		if languageTag.MatchString(l) {
			v.language = l
		} else {
			bad(fieldLanguage, "language", "%q is not a language tag such as fr-FR", clip(l))
		}
	}
	if c := p.Custodian; c != nil {
		root, ext, _ := strings.Cut(c.ID, "^")
		switch {
		case !ident.IsOID(root) || ext == "":
			bad(fieldCustodian, "custodian.id", "%q is not root^extension with an OID root (1.2.250.1.71.4.2.2^1999999901 for a FINESS)", clip(c.ID))
		case strings.TrimSpace(c.Name) == "":
			bad(fieldCustodian, "custodian.name", "the custodian has an id but no name")
		default:
			v.custodian = &docbridge.Organization{ID: ext, System: "urn:oid:" + root, Name: c.Name}
		}
	}
	if a := p.Author; a != nil {
		id, ok := idNat(a.ID)
		var spec *docbridge.Coding
		if a.Specialty != "" {
			if s, ok := m.Code(mappings.AuthorSpecialty, a.Specialty); ok {
				spec = &s
			} else {
				bad(fieldAuthors, "author.specialty", "%q is not a JDV_J01 author specialty code (G15_10/SM54)", clip(a.Specialty))
			}
		}
		switch {
		case !ok:
			bad(fieldAuthors, "author.id", "%q is not an RPPS number (11 digits, or 12 digits starting with 8)", clip(a.ID))
		case strings.TrimSpace(a.Name) == "":
			bad(fieldAuthors, "author.name", "the author has an id but no name")
		case a.Specialty == "" || spec != nil:
			v.author = &docbridge.Author{ID: id, System: idNatPS, Name: a.Name, Specialty: spec}
			if v.custodian != nil {
				org := *v.custodian
				v.author.Organization = &org
			}
		}
	}
	return v, errs
}

// idNat returns the IdNat_PS of an RPPS number: "8" and the 11 digits; an
// id already in that form (12 digits starting with 8) is kept.
func idNat(rpps string) (string, bool) {
	switch {
	case len(rpps) == 11 && ident.Digits(rpps):
		return "8" + rpps, true
	case len(rpps) == 12 && rpps[0] == '8' && ident.Digits(rpps):
		return rpps, true
	}
	return "", false
}

// CheckProfile checks every value of p against the national value sets
// (m): facility_type JDV_J02, practice_setting JDV_J04, document_type
// JDV_J07 or a local code m translates, confidentiality JDV_J08, the
// custodian's root^extension id, the author's RPPS number and JDV_J01
// specialty, the language tag, the agenda's establishment (a name, a
// root^extension id). The error names the profile and each wrong
// field; nil means every value translates.
func CheckProfile(p docbridge.Profile, m *mappings.Set) error {
	_, errs := resolveProfile(&p, m)
	errs = append(errs, agendaErrors(&p)...)
	out := make([]error, len(errs))
	for i, e := range errs {
		if p.Name == "" {
			out[i] = fmt.Errorf("%s: %s", e.key, e.msg)
		} else {
			out[i] = fmt.Errorf("profile %q: %s: %s", p.Name, e.key, e.msg)
		}
	}
	return errors.Join(out...)
}

// applyProfile fills what d leaves empty from p, translated through m, and
// records each filled field in d.Provenance as "profile:<name>"
// ("profile" for a profile without a name). It never replaces a value d
// carries: a field is filled only when it is empty (zero coding, no
// author, no custodian, "" language or confidentiality). A value of p the
// value sets do not know, for a field d leaves empty, is a ProfileInvalid
// problem (an error: the document goes to review); it returns those
// fields so that requireMetadata does not report them missing too.
func applyProfile(d *docbridge.Document, p *docbridge.Profile, m *mappings.Set) map[string]bool {
	if p == nil {
		return nil
	}
	v, errs := resolveProfile(p, m)
	from := "profile"
	if p.Name != "" {
		from += ":" + p.Name
	}
	filled := func(field string) {
		if d.Provenance == nil {
			d.Provenance = map[string]string{}
		}
		d.Provenance[field] = from
	}
	if d.FacilityType.IsZero() && !v.facility.IsZero() {
		d.FacilityType = v.facility
		filled(fieldFacilityType)
	}
	if d.PracticeSetting.IsZero() && !v.practice.IsZero() {
		d.PracticeSetting = v.practice
		filled(fieldPracticeSetting)
	}
	if d.Type.IsZero() && !v.typ.IsZero() {
		d.Type, d.Class = v.typ, v.class
		filled(fieldType)
		if d.Title == "" {
			d.Title = v.typ.Display
		}
	}
	if d.Custodian == nil && v.custodian != nil {
		c := *v.custodian
		d.Custodian = &c
		filled(fieldCustodian)
	}
	if len(d.Authors) == 0 && v.author != nil {
		a := *v.author
		d.Authors = []docbridge.Author{a}
		filled(fieldAuthors)
	}
	if d.Confidentiality == "" && v.confidentiality != "" {
		d.Confidentiality = v.confidentiality
		filled(fieldConfidentiality)
	}
	if d.Language == "" && v.language != "" {
		d.Language = v.language
		filled(fieldLanguage)
	}
	var invalid map[string]bool
	for _, e := range errs {
		if !missing(d, e.field) {
			continue // the document carries the field: the value is not used
		}
		if invalid == nil {
			invalid = map[string]bool{}
		}
		invalid[e.field] = true
		d.AddProblem(docbridge.ProfileInvalid, docbridge.SeverityError,
			"%s gives %s %s; fix the profile (config check lists its errors) and convert the input again", profileName(p), e.key, e.msg)
	}
	return invalid
}

// missing reports whether d leaves field empty.
func missing(d *docbridge.Document, field string) bool {
	switch field {
	case fieldFacilityType:
		return d.FacilityType.IsZero()
	case fieldPracticeSetting:
		return d.PracticeSetting.IsZero()
	case fieldType:
		return d.Type.IsZero()
	case fieldCustodian:
		return d.Custodian == nil
	case fieldAuthors:
		return len(d.Authors) == 0
	case fieldConfidentiality:
		return d.Confidentiality == ""
	case fieldLanguage:
		return d.Language == ""
	}
	return false
}

// clip shortens a value quoted in a message (codes and ids from the
// configuration, never patient data).
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
