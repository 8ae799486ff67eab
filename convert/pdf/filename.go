package pdf

import (
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/ident"
	"github.com/docbridge/docbridge/mappings"
)

// fromFilename fills the document from what its file name says through a
// pattern of filename-patterns.yaml, and from the fixed metadata of that
// pattern. The uniqueId is derived from the pattern's name and {id} when
// the name has one, else from the PDF's SHA-256. What a name cannot carry
// and the pattern does not fix (facility type, practice setting, author,
// the traits) becomes a problem on the document.
func (b *builder) fromFilename(fm mappings.FilenameMatch) {
	d, p, v := b.d, fm.Pattern, fm.Values
	where := "the file name (pattern " + clip(p.Name, 40) + ")"
	if id := strings.TrimSpace(v[mappings.FieldID]); id != "" {
		d.UniqueID = derivedID("name:" + p.Name + "|" + id)
	} else {
		d.UniqueID = derivedID("sha256:" + d.SHA256)
	}
	if code := v[mappings.FieldType]; code != "" {
		b.typeAndClass(p.TypeSystem, code, "", where+": type")
	} else {
		b.errorf(docbridge.MissingMetadata, "%s gives no document type ({type}): the document type (JDV_J07) cannot be derived", where)
	}
	d.Title = d.Type.Display
	if d.Title == "" {
		b.errorf(docbridge.MissingMetadata, "%s gives no known document type: the document has no title", where)
	}
	if date := v[mappings.FieldDate]; date != "" {
		b.creation(date, where+": date")
	} else {
		b.errorf(docbridge.MissingMetadata, "%s gives no date ({date}): the creation time cannot be derived", where)
	}
	d.Language = orDefault(p.Language, defaultLanguage)
	b.confidentiality(orDefault(p.Confidentiality, defaultConfidentiality), "the pattern's confidentiality")

	d.FacilityType, d.PracticeSetting = p.FacilityType, p.PracticeSetting
	if d.FacilityType.IsZero() {
		b.errorf(docbridge.MissingMetadata,
			"the healthcare facility type (JDV_J02) cannot be derived from a file name: set facilityType in pattern %s of %s, or send a sidecar",
			clip(p.Name, 40), mappings.FilenamePatternsFile)
	}
	if d.PracticeSetting.IsZero() {
		b.errorf(docbridge.MissingMetadata,
			"the practice setting (JDV_J04) cannot be derived from a file name: set practiceSetting in pattern %s of %s, or send a sidecar",
			clip(p.Name, 40), mappings.FilenamePatternsFile)
	}

	b.namePatient(fm, where)
	b.checkPatient(func(string) string { return where + " does not give it" })

	if p.Author != nil {
		d.Authors = append(d.Authors, *p.Author)
	} else {
		b.errorf(docbridge.MissingMetadata,
			"the author cannot be derived from a file name: set author in pattern %s of %s, or send a sidecar",
			clip(p.Name, 40), mappings.FilenamePatternsFile)
	}
	if p.Custodian != nil {
		c := *p.Custodian
		d.Custodian = &c
	} else {
		b.warnf(docbridge.MissingMetadata, "the pattern %s gives no custodian: the document has no custodian", clip(p.Name, 40))
	}
}

// namePatient fills the document's patient with what the file name gives
// through its pattern: the INS (with the pattern's insSystem) and the
// traits the pattern has fields for. where names the pattern in problems.
func (b *builder) namePatient(fm mappings.FilenameMatch, where string) {
	pat, v := &b.d.Patient, fm.Values
	if ins := ident.NormINS(v[mappings.FieldINS]); ins != "" {
		pat.INS, pat.INSSystem = ins, fm.Pattern.INSSystem
	}
	pat.BirthName = strings.TrimSpace(v[mappings.FieldBirthName])
	pat.FirstNames = strings.FieldsFunc(v[mappings.FieldFirstNames], func(r rune) bool { return r == ' ' || r == '+' })
	b.birthDate(v[mappings.FieldBirthDate], where+": birthDate")
	b.sex(v[mappings.FieldSex], where+": sex")
	pat.BirthPlace = strings.ToUpper(v[mappings.FieldBirthPlace])
}
