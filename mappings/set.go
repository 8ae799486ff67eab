package mappings

import (
	"cmp"
	"slices"
	"strings"

	"github.com/docbridge/docbridge"
)

// Value set names understood by Lookup, Contains and Members. A value set may
// also be named by its full NOS name ("JDV_J07_XdsTypeCode_CISIS"), its OID
// (bare or "urn:oid:") or its FHIR URL.
const (
	TypeCodes          = "JDV_J07"  // XDS typeCode CI-SIS (LOINC, TRE_A05, ASTM E1762)
	ClassCodes         = "JDV_J06"  // XDS classCode CI-SIS (TRE_A03, plus the TRE_A10 digital signature class)
	FormatCodes        = "JDV_J10"  // XDS formatCode CI-SIS (TRE_A06, TRE_A11, TRE_A09, TRE_A10)
	FacilityTypes      = "JDV_J02"  // XDS healthcareFacilityTypeCode CI-SIS (TRE_R02, TRE_A00)
	PracticeSettings   = "JDV_J04"  // XDS practiceSettingCode CI-SIS (TRE_A01, TRE_A00)
	Confidentiality    = "JDV_J08"  // XDS confidentialityCode CI-SIS (HL7 v3 N/R/V, TRE_A07 visibility)
	AuthorSpecialty    = "JDV_J01"  // XDS authorSpecialty CI-SIS
	Genders            = "JDV_J143" // administrative gender CI-SIS: F, M and UN (not U)
	DMPClassCodes      = "JDV_J57"  // classCode for the DMP: JDV_J06 without 99
	DMPConfidentiality = "JDV_J58"  // confidentialityCode for the DMP
	DMPFormatCodes     = "JDV_J60"  // formatCode for the DMP
)

// The concept maps Load links, and the value set that holds each one's targets.
const (
	typeToClass      = "ASS_X04"
	templateToFormat = "ASS_A11"
	mediaToFormat    = "ASS_12"
)

// Set is the loaded national value sets and concept maps plus the
// operator's overrides. It is read-only after Load and safe for concurrent
// use; its methods do no I/O and never block.
type Set struct {
	sets  map[string]*valueSet // by short name
	alias map[string]string    // every accepted value set name → short name

	classOf          map[conceptKey]docbridge.Coding // ASS_X04, unambiguous sources only
	formatByTemplate map[string]docbridge.Coding     // ASS_A11 by templateId
	formatByMedia    map[string]docbridge.Coding     // ASS_12 by lower-case media type

	local map[string]map[conceptKey]docbridge.Coding // value set → local code → national coding

	patterns []*FilenamePattern // filename-patterns.yaml, in file order
}

// set returns the value set named vs (any accepted name), or nil.
func (s *Set) set(vs string) *valueSet {
	if name, ok := s.alias[strings.TrimSpace(vs)]; ok {
		return s.sets[name]
	}
	return nil
}

// Lookup returns the national coding for (system, code) in value set vs, with
// the canonical system (SystemURI) and the value set's display filled in.
// system may be an OID, an "urn:oid:" URI or a FHIR URI; an empty system
// matches nothing. Operator local-code maps for vs are applied first, so a
// local code gives the national coding it is mapped to. It returns false for
// an unknown value set or a code that is neither a member nor mapped.
func (s *Set) Lookup(vs, system, code string) (docbridge.Coding, bool) {
	v := s.set(vs)
	if v == nil || strings.TrimSpace(system) == "" {
		return docbridge.Coding{}, false
	}
	k := keyOf(system, code)
	if c, ok := s.local[v.name][k]; ok {
		return c, true
	}
	d, ok := v.display[k]
	if !ok {
		return docbridge.Coding{}, false
	}
	return docbridge.Coding{System: k.system, Code: k.code, Display: d}, true
}

// Contains reports whether (system, code) belongs to value set vs, system in
// any accepted spelling. Local codes are not members, even when
// local-codes.yaml maps them into vs: use Lookup to translate them.
func (s *Set) Contains(vs, system, code string) bool {
	v := s.set(vs)
	if v == nil {
		return false
	}
	_, ok := v.display[keyOf(system, code)]
	return ok
}

// ClassOf returns the TRE_A03 classCode of a document type from ASS_X04,
// with the display of JDV_J06: 11502-2 (LOINC) gives
// {urn:oid:1.2.250.1.213.1.1.4.1, 10, Compte rendu}. typ.System may be in
// any accepted spelling; typ.Display is ignored. It returns false when the
// type has no class (or an empty system).
func (s *Set) ClassOf(typ docbridge.Coding) (docbridge.Coding, bool) {
	c, ok := s.classOf[keyOf(typ.System, typ.Code)]
	return c, ok
}

// FormatForTemplates returns the formatCode of a structured CDA from its
// templateIds (the @root values, bare or "urn:oid:"), using ASS_A11: the
// first templateId in the given order that maps gives the result, with the
// display of JDV_J10 and the system of its code (IHEFormatSystem for
// urn:ihe:… codes, ANSFormatSystem for urn:asip:… and urn:ans:… codes).
// The XDS-SD template 1.3.6.1.4.1.19376.1.2.20 of level-1 CDA maps to five
// formats and so to none here: use FormatForMediaType for those documents.
func (s *Set) FormatForTemplates(templateIDs []string) (docbridge.Coding, bool) {
	for _, id := range templateIDs {
		id = strings.TrimSpace(id)
		id = strings.TrimPrefix(id, "urn:oid:")
		if c, ok := s.formatByTemplate[id]; ok {
			return c, true
		}
	}
	return docbridge.Coding{}, false
}

// FormatForMediaType returns the formatCode of a level-1 CDA from its
// nonXMLBody/text/@mediaType, using ASS_12: application/pdf gives
// urn:ihe:iti:xds-sd:pdf:2008. The media type is matched without case and
// without parameters ("application/PDF; name=x" is application/pdf).
func (s *Set) FormatForMediaType(mediaType string) (docbridge.Coding, bool) {
	c, ok := s.formatByMedia[normMediaType(mediaType)]
	return c, ok
}

func normMediaType(mt string) string {
	mt, _, _ = strings.Cut(mt, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// ValueSets returns the short names of every loaded value set and code
// system ("JDV_J07", "TRE_A03", …), sorted.
func (s *Set) ValueSets() []string {
	names := make([]string, 0, len(s.sets))
	for n := range s.sets {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Members returns the national members of value set vs with canonical
// systems and displays, sorted by system then code, or nil for an unknown
// value set. Local codes are not members. The slice is the caller's.
func (s *Set) Members(vs string) []docbridge.Coding {
	v := s.set(vs)
	if v == nil {
		return nil
	}
	out := make([]docbridge.Coding, 0, len(v.display))
	for k, d := range v.display {
		out = append(out, docbridge.Coding{System: k.system, Code: k.code, Display: d})
	}
	slices.SortFunc(out, func(a, b docbridge.Coding) int {
		return cmp.Or(cmp.Compare(a.System, b.System), cmp.Compare(a.Code, b.Code))
	})
	return out
}
