package fhir

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	fm "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/dates"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/traits"
)

// isINSSystem reports whether system, a URI, is one of the INS
// identifier systems (traits.INSOIDs as "urn:oid:" URIs). Which of them may
// be sent is decided by internal/identity.
func isINSSystem(system string) bool {
	oid, ok := strings.CutPrefix(system, "urn:oid:")
	return ok && slices.Contains(traits.INSOIDs, oid)
}

// FR Core extensions carrying the INS traits and the identity status.
const (
	extBirthPlace      = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
	extFRBirthPlace    = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-birth-place"
	extINSEECode       = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code"
	extBirthListGiven  = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-birth-list-given-name"
	extIdentityReliab  = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"
	extIdentityStatus  = "identityStatus"
	inseeCodeSyntaxStr = `^[0-9][0-9AB][0-9]{3}$`
)

var inseeCode = regexp.MustCompile(inseeCodeSyntaxStr)

// patient reads the patient of a document: the INS of the subject (a
// conditional reference Patient?identifier=<INS system>|<INS>, a logical
// reference by identifier, or a Patient of the input) and the identity of
// the Patient resources the input holds for it — the subject's, and
// sourcePatientInfo's, which MHD makes a contained Patient. Two of them
// that give different INS or traits (traits.Disagree) are IdentityMismatch. Missing INS and traits are recorded as the
// CDA converter does.
func (b *builder) patient(subject, sourceInfo *fm.Reference, res *resolver, path string) {
	p := &b.d.Patient
	var found []docbridge.Patient
	for _, ref := range []*fm.Reference{sourceInfo, subject} {
		found = append(found, b.referenced(ref, res, path)...)
	}
	for _, f := range found {
		if diff := traits.Disagree(*p, f); len(diff) > 0 && !b.hasProblem(docbridge.IdentityMismatch) {
			// Two descriptions of the patient that disagree: nothing is
			// guessed (docs/architecture.md §8).
			b.errorf(docbridge.IdentityMismatch,
				"%s describes the patient twice (subject and sourcePatientInfo) with different %s: docbridge cannot tell which is right",
				path, strings.Join(diff, ", "))
		}
		if p.INS == "" {
			p.INS, p.INSSystem = f.INS, f.INSSystem
		}
		if p.BirthName == "" {
			p.BirthName = f.BirthName
		}
		if p.BirthDate == "" {
			p.BirthDate = f.BirthDate
		}
		if p.Sex == "" {
			p.Sex = f.Sex
		}
		if p.BirthPlace == "" {
			p.BirthPlace = f.BirthPlace
		}
		if len(p.FirstNames) == 0 {
			p.FirstNames = f.FirstNames
		}
		if p.IdentityStatus == "" {
			p.IdentityStatus = f.IdentityStatus
		}
		for _, id := range f.LocalIDs {
			if !slices.Contains(p.LocalIDs, id) {
				p.LocalIDs = append(p.LocalIDs, id)
			}
		}
	}
	b.checkPatient(path)
}

// referenced reads what a reference to a patient says of them: the INS of
// its identifier, of a conditional reference Patient?identifier=<INS
// system>|<INS>, or the identity of the Patient of the input it resolves
// to. It returns nothing for a nil reference.
func (b *builder) referenced(ref *fm.Reference, res *resolver, path string) []docbridge.Patient {
	if ref == nil {
		return nil
	}
	var found []docbridge.Patient
	if ref.Identifier != nil {
		if ins, sys, ok := insOf(*ref.Identifier); ok {
			found = append(found, docbridge.Patient{INS: ins, INSSystem: sys})
		}
	}
	r := str(ref.Reference)
	if sys, value, ok := conditional(r, "Patient"); ok {
		if sys = mappings.SystemURI(sys); isINSSystem(sys) {
			found = append(found, docbridge.Patient{INS: traits.NormINS(value), INSSystem: sys})
		}
		return found
	}
	if pr, ok := res.resolve(r); ok && pr.Type == "Patient" {
		found = append(found, b.readPatient(pr.Raw, path))
	}
	return found
}

// insOf reads an identifier as an INS when its system is an INS OID.
func insOf(id fm.Identifier) (ins, system string, ok bool) {
	system = mappings.SystemURI(str(id.System))
	if !isINSSystem(system) || str(id.Value) == "" {
		return "", "", false
	}
	return traits.NormINS(str(id.Value)), system, true
}

// readPatient reads one Patient resource as FR Core writes the INS
// identity: the INS identifier (use old is skipped), the official name
// (family: birth name; the birth-list-given-name extension: the birth
// first names), gender, birthDate, the birth place's INSEE code and the
// identity status of the identity-reliability extension.
func (b *builder) readPatient(raw json.RawMessage, path string) docbridge.Patient {
	var out docbridge.Patient
	pat, err := fm.UnmarshalPatient(raw)
	if err != nil {
		b.errorf(docbridge.Malformed, "%s: a Patient is not valid FHIR R4: %s", path, describeJSON(err))
		return out
	}
	for _, id := range pat.Identifier {
		if id.Use != nil && *id.Use == fm.IdentifierUseOld {
			continue
		}
		if ins, sys, ok := insOf(id); ok {
			if out.INS == "" {
				out.INS, out.INSSystem = ins, sys
			} else if out.INS != ins {
				b.errorf(docbridge.IdentityMismatch, "%s: a Patient carries two different INS", path)
			}
			continue
		}
		if v := str(id.Value); v != "" {
			out.LocalIDs = append(out.LocalIDs, docbridge.Identifier{System: mappings.SystemURI(str(id.System)), Value: v})
		}
	}
	b.names(pat.Name, &out, path)
	if pat.Gender != nil {
		switch *pat.Gender {
		case fm.AdministrativeGenderMale:
			out.Sex = "M"
		case fm.AdministrativeGenderFemale:
			out.Sex = "F"
		case fm.AdministrativeGenderUnknown:
			out.Sex = "U"
		default:
			b.errorf(docbridge.MissingTrait, "%s: Patient.gender is not male, female or unknown (the INS sexes)", path)
		}
	}
	if bd := str(pat.BirthDate); bd != "" {
		switch t, err := dates.Parse(bd, nil); {
		case err != nil || !t.Date:
			b.errorf(docbridge.MissingTrait, "%s: Patient.birthDate is not a FHIR date", path)
		default:
			out.BirthDate = t.Value
			if len(t.Value) < len("2006-01-02") {
				b.warnf(docbridge.MissingTrait, "%s: Patient.birthDate is a partial date (year or month only)", path)
			}
		}
	}
	for _, e := range pat.Extension {
		switch e.Url {
		case extBirthPlace, extFRBirthPlace:
			out.BirthPlace = birthPlace(e.ValueAddress)
		case extIdentityReliab:
			out.IdentityStatus = identityStatus(e.Extension)
		}
	}
	return out
}

// names reads the birth name and first names from Patient.name.
func (b *builder) names(names []fm.HumanName, out *docbridge.Patient, path string) {
	var official *fm.HumanName
	for i := range names {
		if names[i].Use == nil || *names[i].Use != fm.NameUseOfficial {
			continue
		}
		if official == nil {
			official = &names[i]
			continue
		}
		// A second official name is a second source of the birth
		// identity: it must agree (docs/architecture.md §8).
		if diff := traits.Disagree(birthIdentity(official), birthIdentity(&names[i])); len(diff) > 0 {
			b.errorf(docbridge.IdentityMismatch, "%s: a Patient has two official names with different %s: docbridge cannot tell which is the birth identity",
				path, strings.Join(diff, ", "))
		}
	}
	if official == nil {
		if len(names) == 1 && names[0].Use == nil && str(names[0].Family) != "" {
			official = &names[0]
			b.warnf(docbridge.MissingTrait, "%s: the birth name was taken from the Patient's only name, which has no use; the source should mark it use official", path)
		} else {
			return
		}
	}
	id := birthIdentity(official)
	out.BirthName, out.FirstNames = id.BirthName, id.FirstNames
	if len(out.FirstNames) == 0 {
		for _, g := range official.Given {
			out.FirstNames = append(out.FirstNames, strings.Fields(g)...)
		}
		if len(out.FirstNames) > 0 {
			b.warnf(docbridge.MissingTrait,
				"%s: the official name has no birth-list-given-name extension (the full list of birth first names); its given names were used", path)
		}
	}
}

// birthIdentity reads the birth name (family) and the birth first names
// (the birth-list-given-name extension) of a name.
func birthIdentity(n *fm.HumanName) docbridge.Patient {
	p := docbridge.Patient{BirthName: str(n.Family)}
	for _, e := range n.Extension {
		if e.Url == extBirthListGiven {
			p.FirstNames = strings.Fields(str(e.ValueString))
		}
	}
	return p
}

// birthPlace reads the INSEE code of a birth place address: its
// fr-core-address-insee-code extension, else its district when it has the
// shape of a COG code (older FR Core).
func birthPlace(a *fm.Address) string {
	if a == nil {
		return ""
	}
	for _, e := range a.Extension {
		if e.Url == extINSEECode && e.ValueCoding != nil {
			return strings.ToUpper(str(e.ValueCoding.Code))
		}
	}
	if d := strings.ToUpper(str(a.District)); inseeCode.MatchString(d) {
		return d
	}
	return ""
}

// identityStatus reads the identityStatus sub-extension (PROV, RECUP,
// VALI, QUAL).
func identityStatus(exts []fm.Extension) string {
	for _, e := range exts {
		if e.Url != extIdentityStatus {
			continue
		}
		if e.ValueCoding != nil {
			return str(e.ValueCoding.Code)
		}
		if cs := codings(e.ValueCodeableConcept); len(cs) > 0 {
			return cs[0].Code
		}
	}
	return ""
}

// checkPatient records what the patient lacks: the INS and the five
// strict traits (docs/sources.md §3). It checks neither the INS
// key nor its system (internal/identity does).
func (b *builder) checkPatient(path string) {
	p := b.d.Patient
	if p.INS == "" {
		b.errorf(docbridge.MissingINS,
			"%s names no INS (subject Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|…, or a Patient with an INS identifier): the patient cannot be identified", path)
	}
	for _, t := range []struct{ name, where, value string }{
		{"birth name", "the family of the official name", p.BirthName},
		{"birth first names", "the birth-list-given-name extension", strings.Join(p.FirstNames, " ")},
		{"birth date", "birthDate", p.BirthDate},
		{"sex", "gender", p.Sex},
		{"birthplace (INSEE code)", "the birthPlace extension's INSEE code", p.BirthPlace},
	} {
		if t.value == "" && !b.hasProblemAbout(docbridge.MissingTrait, t.name) {
			b.errorf(docbridge.MissingTrait,
				"the INS trait %q is missing: %s has no Patient (contained sourcePatientInfo or subject) giving %s", t.name, path, t.where)
		}
	}
}
