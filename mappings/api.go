package mappings

// STUB: the contract convert/ and cmd/ are written against. Replace by the
// real implementation; keep the exported names and semantics.

import "github.com/docbridge/docbridge"

// Value set names understood by Contains.
const (
	TypeCodes        = "JDV_J07" // typeCode
	ClassCodes       = "JDV_J06" // classCode (TRE_A03)
	FormatCodes      = "JDV_J10"
	FacilityTypes    = "JDV_J02"
	PracticeSettings = "JDV_J04"
	Confidentiality  = "JDV_J08"
)

// Set is the loaded national value sets and concept maps plus the
// operator's overrides. It is read-only after Load and safe for concurrent use.
type Set struct{}

// Load reads the embedded defaults, then the operator's override directory
// (skipped when dir is ""). An unreadable or invalid override file is an error
// that names the file.
func Load(dir string) (*Set, error) { panic("unimplemented") }

// Lookup returns the national coding for (system, code) in value set vs, with
// the canonical system and display filled in. system may be an OID, an
// "urn:oid:" URI or a FHIR URI. Operator local-code maps are applied first.
func (s *Set) Lookup(vs, system, code string) (docbridge.Coding, bool) { panic("unimplemented") }

// Contains reports whether (system, code) belongs to value set vs.
func (s *Set) Contains(vs, system, code string) bool { panic("unimplemented") }

// ClassOf returns the TRE_A03 class of a document type (ASS_X04).
func (s *Set) ClassOf(typ docbridge.Coding) (docbridge.Coding, bool) { panic("unimplemented") }

// FormatForTemplates returns the formatCode of a structured CDA from its
// templateIds (ASS_A11).
func (s *Set) FormatForTemplates(templateIDs []string) (docbridge.Coding, bool) {
	panic("unimplemented")
}

// FormatForMediaType returns the formatCode of a level-1 CDA from its body's
// mediaType (ASS_12).
func (s *Set) FormatForMediaType(mediaType string) (docbridge.Coding, bool) {
	panic("unimplemented")
}

// SystemURI returns the canonical URI of a code system given by OID or URI:
// "http://loinc.org" for LOINC, the FHIR URI for HL7 v3 systems, "urn:oid:…"
// otherwise.
func SystemURI(system string) string { panic("unimplemented") }
