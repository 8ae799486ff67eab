package pdf

import (
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/traits"
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
	}
	d.Title = d.Type.Display // a profile's type gives its display as the title
	if date := v[mappings.FieldDate]; date != "" {
		b.creation(date, where+": date")
	} else {
		b.errorf(docbridge.MissingMetadata, "%s gives no date ({date}): the creation time cannot be derived", where)
	}
	// What the pattern does not give is left empty for the source profile.
	d.Language = p.Language
	b.confidentiality(p.Confidentiality, "the pattern's confidentiality")
	d.FacilityType, d.PracticeSetting = p.FacilityType, p.PracticeSetting

	b.namePatient(fm, where)
	b.checkPatient(func(string) string { return where + " does not give it" })

	if p.Author != nil {
		d.Authors = append(d.Authors, *p.Author)
	}
	if p.Custodian != nil {
		c := *p.Custodian
		d.Custodian = &c
	}
}

// namePatient fills the document's patient with what the file name gives
// through its pattern: the INS (with the pattern's insSystem) and the
// traits the pattern has fields for. where names the pattern in problems.
func (b *builder) namePatient(fm mappings.FilenameMatch, where string) {
	pat, v := &b.d.Patient, fm.Values
	if ins := traits.NormINS(v[mappings.FieldINS]); ins != "" {
		pat.INS, pat.INSSystem = ins, fm.Pattern.INSSystem
	}
	pat.BirthName = strings.TrimSpace(v[mappings.FieldBirthName])
	pat.FirstNames = strings.FieldsFunc(v[mappings.FieldFirstNames], func(r rune) bool { return r == ' ' || r == '+' })
	b.birthDate(v[mappings.FieldBirthDate], where+": birthDate")
	b.sex(v[mappings.FieldSex], where+": sex")
	pat.BirthPlace = strings.ToUpper(v[mappings.FieldBirthPlace])
}
