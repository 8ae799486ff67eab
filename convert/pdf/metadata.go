package pdf

import (
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/dates"
	"github.com/docbridge/docbridge/convert/internal/ident"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/traits"
)

// fromSidecar fills the document from a sidecar (see Sidecar). The fields
// a source profile can fill (type, facility type, practice setting,
// authors, custodian, confidentiality, language) are left empty when the
// sidecar does not give them: what is still missing after the profile is
// decided by convert.Converter.Convert.
func (b *builder) fromSidecar(s *Sidecar) {
	d := b.d
	b.identity(s)
	if s.Type != nil && s.Type.Code != "" {
		b.typeAndClass(b.system(mappings.TypeCodes, s.Type.System, s.Type.Code), s.Type.Code, s.Type.Display, "sidecar: type")
		if s.Class != nil && s.Class.Code != "" && d.Class.Code != "" && s.Class.Code != d.Class.Code {
			b.warnf(docbridge.UnmappedCode,
				"sidecar: class %q differs from the class %q that ASS_X04 derives from the type; the derived class is used", clip(s.Class.Code, 16), d.Class.Code)
		}
	}
	d.Title = strings.TrimSpace(s.Title)
	if d.Title == "" {
		d.Title = d.Type.Display
		switch {
		case d.Title != "":
			b.warnf(docbridge.MissingMetadata, "sidecar: title is missing: the type's display name is used")
		case !d.Type.IsZero():
			b.errorf(docbridge.MissingMetadata, "sidecar: title is missing: the document has no title")
		}
	}
	b.creation(s.Creation, "sidecar: creation")
	d.Language = strings.TrimSpace(s.Language)
	b.confidentiality(s.Confidential, "sidecar: confidentiality")
	for i, l := range s.SecurityLabels {
		if c, ok := b.m.Lookup(mappings.Confidentiality, l.System, l.Code); ok && c.System != mappings.HL7Confidentiality {
			d.SecurityLabels = append(d.SecurityLabels, c)
			continue
		}
		b.errorf(docbridge.UnmappedCode, "sidecar: securityLabels[%d] is not a TRE_A07 visibility code of JDV_J08 (MASQUE_PS, INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX)", i)
	}
	if ct := strings.TrimSpace(s.ContentType); ct != "" && !strings.EqualFold(ct, ContentType) {
		b.errorf(docbridge.Malformed, "sidecar: contentType says %q but the file is a PDF", clip(ct, 40))
	}
	if s.Format != "" {
		if knownFormat(b.m, s.Format) {
			d.Format = s.Format
		} else {
			b.errorf(docbridge.UnmappedCode, "sidecar: format %q is not in JDV_J10", clip(s.Format, 64))
		}
	}
	b.integrity(s)
	d.FacilityType = b.context(s.FacilityType, mappings.FacilityTypes, "sidecar: facilityType", "healthcare facility type")
	d.PracticeSetting = b.context(s.Practice, mappings.PracticeSettings, "sidecar: practiceSetting", "practice setting")
	d.ServiceStart = b.serviceTime(s.ServiceStart, "sidecar: serviceStart")
	d.ServiceStop = b.serviceTime(s.ServiceStop, "sidecar: serviceStop")

	if s.Patient != nil {
		b.sidecarPatient(s.Patient)
	}
	b.checkPatient(func(field string) string { return "the sidecar has no patient." + field })
	for _, a := range s.Authors {
		d.Authors = append(d.Authors, author(a))
	}
	if s.LegalAuth != nil {
		a := author(*s.LegalAuth)
		d.LegalAuthenticator = &a
	}
	d.Custodian = organization(s.Custodian)
	for field, from := range s.Provenance {
		if d.Provenance == nil {
			d.Provenance = map[string]string{}
		}
		d.Provenance[field] = from
	}
}

// identity reads uniqueId, action, replaces, setId and versionNumber.
func (b *builder) identity(s *Sidecar) {
	d := b.d
	d.UniqueID = strings.TrimSpace(s.UniqueID)
	switch {
	case d.UniqueID == "":
		d.UniqueID = derivedID("sha256:" + d.SHA256)
	case !validUniqueID(d.UniqueID):
		b.errorf(docbridge.MissingMetadata, "sidecar: uniqueId must be urn:oid:<OID>, urn:uuid:<UUID> or <OID>^<extension>")
	}
	d.SetID, d.Version = strings.TrimSpace(s.SetID), strings.TrimSpace(s.Version)
	d.Replaces = strings.TrimSpace(s.Replaces)
	switch a := docbridge.Action(strings.ToLower(strings.TrimSpace(s.Action))); a {
	case "":
		if d.Replaces != "" {
			d.Action = docbridge.Replace
		}
	case docbridge.Create, docbridge.Replace, docbridge.Delete:
		d.Action = a
	default:
		b.errorf(docbridge.Malformed, "sidecar: action must be create, replace or delete")
	}
	switch {
	case d.Action == docbridge.Replace && d.Replaces == "":
		b.errorf(docbridge.MissingMetadata, "sidecar: action is replace but replaces does not name the replaced document's uniqueId")
	case d.Action != docbridge.Replace && d.Replaces != "":
		b.errorf(docbridge.Malformed, "sidecar: replaces is given but action is %s", d.Action)
	case d.Replaces != "" && d.Replaces == d.UniqueID:
		b.errorf(docbridge.Malformed, "sidecar: replaces names the document's own uniqueId: a document cannot replace itself")
	case d.Replaces != "" && !validUniqueID(d.Replaces):
		b.errorf(docbridge.MissingMetadata, "sidecar: replaces must be urn:oid:<OID>, urn:uuid:<UUID> or <OID>^<extension>")
	}
	if d.Action == docbridge.Delete && strings.TrimSpace(s.UniqueID) == "" {
		b.errorf(docbridge.MissingMetadata, "sidecar: action is delete but uniqueId does not name the document to delete")
	}
}

// integrity checks the size and hashes a sidecar gives against the PDF.
func (b *builder) integrity(s *Sidecar) {
	if s.Size != nil && *s.Size != b.d.Size {
		b.errorf(docbridge.Malformed, "sidecar: size says %d bytes but the PDF has %d: the sidecar belongs to another file", *s.Size, b.d.Size)
	}
	for _, h := range []struct{ name, given, got string }{{"sha1", s.SHA1, b.d.SHA1}, {"sha256", s.SHA256, b.d.SHA256}} {
		if h.given != "" && !strings.EqualFold(strings.TrimSpace(h.given), h.got) {
			b.errorf(docbridge.Malformed, "sidecar: %s differs from the PDF's: the sidecar belongs to another file", h.name)
		}
	}
}

// sidecarPatient copies the sidecar's patient, normalising the INS, the
// sex and the birth date.
func (b *builder) sidecarPatient(sp *Patient) {
	p := &b.d.Patient
	p.INS = traits.NormINS(sp.INS)
	if p.INS != "" {
		if sp.INSSystem == "" {
			b.errorf(docbridge.MissingINS, "sidecar: patient.insSystem is missing: say which INS it is (urn:oid:1.2.250.1.213.1.4.8 for an INS-NIR, .9 NIA, .10 test, .11 demo)")
		} else {
			p.INSSystem = mappings.SystemURI(sp.INSSystem)
		}
	}
	p.BirthName = strings.TrimSpace(sp.BirthName)
	for _, n := range sp.FirstNames {
		p.FirstNames = append(p.FirstNames, strings.Fields(n)...)
	}
	b.birthDate(sp.BirthDate, "sidecar: patient.birthDate")
	b.sex(sp.Sex, "sidecar: patient.sex")
	p.BirthPlace = strings.ToUpper(strings.TrimSpace(sp.BirthPlace))
	for _, id := range sp.LocalIDs {
		if id.Value != "" {
			p.LocalIDs = append(p.LocalIDs, docbridge.Identifier{System: mappings.SystemURI(id.System), Value: id.Value})
		}
	}
	p.IdentityStatus = strings.ToUpper(strings.TrimSpace(sp.IdentityStatus))
}

// typeAndClass maps a type code through JDV_J07 (local codes included)
// and derives the class through ASS_X04.
func (b *builder) typeAndClass(system, code, display, where string) {
	t, ok := b.m.Lookup(mappings.TypeCodes, system, code)
	if !ok {
		b.d.Type = docbridge.Coding{System: mappings.SystemURI(system), Code: code, Display: display}
		b.errorf(docbridge.UnmappedCode, "%s %q (system %s) is not in JDV_J07: map it to a national document type (local-codes.yaml)",
			where, clip(code, 32), clip(system, 80))
		return
	}
	b.d.Type = t
	if c, ok := b.m.ClassOf(t); ok {
		b.d.Class = c
	} else {
		b.errorf(docbridge.UnmappedCode, "the document type %q has no class in ASS_X04: the class code (TRE_A03) cannot be derived", clip(t.Code, 32))
	}
}

// context maps a facility type or practice setting through its value set;
// a missing one is a zero coding (see fromSidecar).
func (b *builder) context(c *Coding, vs, where, what string) docbridge.Coding {
	if c == nil || c.Code == "" {
		return docbridge.Coding{}
	}
	if got, ok := b.m.Lookup(vs, b.system(vs, c.System, c.Code), c.Code); ok {
		return got
	}
	b.errorf(docbridge.UnmappedCode, "%s %q (system %s) is not in %s: map it to a national %s code",
		where, clip(c.Code, 32), orDefault(clip(c.System, 80), "not given"), vs, what)
	return docbridge.Coding{System: mappings.SystemURI(c.System), Code: c.Code, Display: c.Display}
}

// system is the code system of a coding: as written, or, for a bare code,
// LOINC when the code is a LOINC code of vs, else the system of the one
// member of vs with that code. It returns "" when that is ambiguous.
func (b *builder) system(vs, system, code string) string {
	if system != "" {
		return system
	}
	if b.m.Contains(vs, mappings.LOINC, code) {
		return mappings.LOINC
	}
	found := ""
	for _, c := range b.m.Members(vs) {
		if c.Code == code {
			if found != "" {
				return ""
			}
			found = c.System
		}
	}
	return found
}

// confidentiality checks an HL7 v3 confidentiality code against JDV_J08;
// "" leaves it empty (see fromSidecar).
func (b *builder) confidentiality(code, where string) {
	code = strings.TrimSpace(code)
	if code == "" {
		return
	}
	b.d.Confidentiality = code
	if !b.m.Contains(mappings.Confidentiality, mappings.HL7Confidentiality, code) {
		b.errorf(docbridge.UnmappedCode, "%s %q is not an HL7 v3 confidentiality code of JDV_J08 (N, R, V)", where, clip(code, 32))
	}
}

// creation reads the creation time; a missing or unreadable one is an
// error, a date without time of day a warning.
func (b *builder) creation(s, where string) {
	if strings.TrimSpace(s) == "" {
		b.errorf(docbridge.MissingMetadata, "%s is missing: the creation time cannot be derived", where)
		return
	}
	t, err := dates.Parse(s, b.loc)
	if err != nil {
		b.errorf(docbridge.MissingMetadata, "%s is %v", where, err)
		return
	}
	b.d.Creation, b.d.CreationSource = t.Value, t.Source
	if t.Date {
		b.warnf(docbridge.MissingMetadata, "%s has no time of day: the creation time is only a date", where)
	}
}

// serviceTime reads a bound of the service period; an unreadable one is a
// warning and left out.
func (b *builder) serviceTime(s, where string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	t, err := dates.Parse(s, b.loc)
	if err != nil {
		b.warnf(docbridge.MissingMetadata, "%s is %v: it is left out", where, err)
		return ""
	}
	return t.Value
}

// birthDate reads the birth date as YYYY-MM-DD, the civil date as written.
func (b *builder) birthDate(s, where string) {
	if strings.TrimSpace(s) == "" {
		return
	}
	t, err := dates.Parse(s, b.loc)
	if err != nil || !t.Date {
		b.errorf(docbridge.MissingTrait, "%s is not a date (YYYY-MM-DD)", where)
		return
	}
	b.d.Patient.BirthDate = t.Value
	if len(t.Value) < len("2006-01-02") {
		b.warnf(docbridge.MissingTrait, "%s is a partial date (year or month only)", where)
	}
}

// sex reads M, F or U.
func (b *builder) sex(s, where string) {
	switch v := strings.ToUpper(strings.TrimSpace(s)); v {
	case "":
	case "M", "F", "U":
		b.d.Patient.Sex = v
	default:
		b.errorf(docbridge.MissingTrait, "%s is not one of M, F, U", where)
	}
}

// checkPatient records what the patient lacks: the INS and the five
// strict traits (docs/sources.md §3). It checks neither the INS
// key nor its system (internal/identity does). lacks says where the source
// lacks a field ("the sidecar has no patient.sex").
func (b *builder) checkPatient(lacks func(field string) string) {
	p := b.d.Patient
	if p.INS == "" {
		b.errorf(docbridge.MissingINS, "%s: the patient cannot be identified", lacks("ins"))
	}
	for _, t := range []struct{ name, field, value string }{
		{"birth name", "birthName", p.BirthName}, {"birth first names", "firstNames", strings.Join(p.FirstNames, " ")},
		{"birth date", "birthDate", p.BirthDate}, {"sex", "sex", p.Sex}, {"birthplace (INSEE code)", "birthPlace", p.BirthPlace},
	} {
		if t.value == "" && !b.hasProblem(docbridge.MissingTrait, t.field) {
			b.errorf(docbridge.MissingTrait, "the INS trait %q is missing: %s", t.name, lacks(t.field))
		}
	}
}

// hasProblem reports whether a problem with code already mentions what.
func (b *builder) hasProblem(code docbridge.Reason, what string) bool {
	for _, p := range b.d.Problems {
		if p.Code == code && p.Severity == docbridge.SeverityError && strings.Contains(p.Message, what) {
			return true
		}
	}
	return false
}

func author(a Author) docbridge.Author {
	out := docbridge.Author{ID: a.ID, System: mappings.SystemURI(a.System), Name: a.Name, Organization: organization(a.Organization)}
	if a.Specialty != nil && a.Specialty.Code != "" {
		out.Specialty = &docbridge.Coding{System: mappings.SystemURI(a.Specialty.System), Code: a.Specialty.Code, Display: a.Specialty.Display}
	}
	return out
}

func organization(o *Organization) *docbridge.Organization {
	if o == nil || (o.ID == "" && o.Name == "") {
		return nil
	}
	return &docbridge.Organization{ID: o.ID, System: mappings.SystemURI(o.System), Name: o.Name}
}

// validUniqueID reports the uniqueId forms docbridge sends: urn:oid:,
// urn:uuid: and the XDS form <OID>^<extension>.
func validUniqueID(id string) bool {
	switch {
	case strings.HasPrefix(id, "urn:oid:"):
		return ident.IsOID(id[len("urn:oid:"):])
	case strings.HasPrefix(id, "urn:uuid:"):
		return ident.IsUUID(id[len("urn:uuid:"):])
	}
	root, ext, ok := strings.Cut(id, "^")
	return ok && ident.IsOID(root) && ext != "" && !strings.ContainsAny(ext, "^ ")
}

// formatSystems are the code systems of JDV_J10's formatCodes: TRE_A11
// (urn:ihe:…), TRE_A06 (urn:asip:…, urn:ans:…), TRE_A10 and TRE_A09.
var formatSystems = []string{mappings.IHEFormatSystem, mappings.ANSFormatSystem, "URN", "1.2.840.10008.2.6.1"}

// knownFormat reports whether a formatCode, given without its system as
// docs/architecture.md §11 writes it, is in JDV_J10.
func knownFormat(m *mappings.Set, code string) bool {
	for _, s := range formatSystems {
		if m.Contains(mappings.FormatCodes, s, code) {
			return true
		}
	}
	return false
}

// normINS removes the spaces an INS is often written with.

func orDefault(s, def string) string {
	if s = strings.TrimSpace(s); s == "" {
		return def
	}
	return s
}
