package mappings

import "strings"

// Canonical URIs of the code systems docbridge names most often.
const (
	LOINC                   = "http://loinc.org"                                              // 2.16.840.1.113883.6.1
	HL7Confidentiality      = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"      // 2.16.840.1.113883.5.25
	HL7AdministrativeGender = "http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender" // 2.16.840.1.113883.5.1
	ClassSystem             = "urn:oid:1.2.250.1.213.1.1.4.1"                                 // TRE_A03 ClasseDocument (classCode)
	IHEFormatSystem         = "urn:oid:1.3.6.1.4.1.19376.1.2.3"                               // TRE_A11 IheFormatCode (urn:ihe:… formatCodes)
	ANSFormatSystem         = "urn:oid:1.2.250.1.213.1.1.4.2.282"                             // TRE_A06 FormatCodeComplementaire (urn:asip:…, urn:ans:…)
)

// codeSystem is one code system and every spelling of it found in the
// sources: its OID (or the XDS pseudo-OID "URN"/"ASTM"), its FHIR URIs and
// its HL7 v2 mnemonic. The OIDs and NOS URIs come from the data files
// themselves (ASS_A11 XML against JSON, CodeSystem identifiers) and from the
// published ANS terminology IG.
type codeSystem struct {
	oid       string
	canonical string // "" means "urn:oid:" + oid
	aliases   []string
}

var codeSystems = []codeSystem{
	{oid: "2.16.840.1.113883.6.1", canonical: LOINC, aliases: []string{"LN"}},
	{oid: "2.16.840.1.113883.5.25", canonical: HL7Confidentiality, aliases: []string{
		"http://hl7.org/fhir/v3/Confidentiality",
		"https://mos.esante.gouv.fr/NOS/TRE_A08-HL7Confidentiality/FHIR/TRE-A08-HL7Confidentiality",
	}},
	{oid: "2.16.840.1.113883.5.1", canonical: HL7AdministrativeGender, aliases: []string{
		"http://hl7.org/fhir/v3/AdministrativeGender",
	}},
	{oid: "1.2.250.1.213.1.1.4.6", aliases: []string{
		"https://mos.esante.gouv.fr/NOS/TRE_A00-ProducteurDocNonPS/FHIR/TRE-A00-ProducteurDocNonPS",
	}},
	{oid: "1.2.250.1.213.1.1.4.9", aliases: []string{
		"https://mos.esante.gouv.fr/NOS/TRE_A01-CadreExercice/FHIR/TRE-A01-CadreExercice",
	}},
	{oid: "1.2.250.1.213.1.1.4.1", aliases: []string{
		"https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument",
	}},
	{oid: "1.2.250.1.213.1.1.4.12", aliases: []string{
		"https://mos.esante.gouv.fr/NOS/TRE_A05-TypeDocComplementaire/FHIR/TRE-A05-TypeDocComplementaire",
	}},
	{oid: "1.2.250.1.213.1.1.4.2.282", aliases: []string{
		"https://mos.esante.gouv.fr/NOS/TRE_A06-FormatCodeComplementaire/FHIR/TRE-A06-FormatCodeComplementaire",
	}},
	{oid: "1.2.250.1.213.1.1.4.13", aliases: []string{
		"https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument",
	}},
	{oid: "1.2.840.10008.2.6.1", aliases: []string{
		"https://mos.esante.gouv.fr/NOS/TRE_A09-DICOMuidRegistry/FHIR/TRE-A09-DICOMuidRegistry",
	}},
	{oid: "1.3.6.1.4.1.19376.1.2.3", aliases: []string{
		"https://mos.esante.gouv.fr/NOS/TRE_A11-IheFormatCode/FHIR/TRE-A11-IheFormatCode",
	}},
	{oid: "1.2.250.1.71.4.2.4", aliases: []string{
		"https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite",
	}},
	{oid: "1.2.250.1.213.1.1.4.328", aliases: []string{
		"https://mos.esante.gouv.fr/NOS/TRE_R220-ModeleDocumentCDAStructure/FHIR/TRE-R220-ModeleDocumentCDAStructure",
	}},
	{oid: "1.2.250.1.213.1.1.4.329", aliases: []string{
		"https://mos.esante.gouv.fr/NOS/TRE_R221-ModeleDocumentCDANonStructure/FHIR/TRE-R221-ModeleDocumentCDANonStructure",
	}},
	// XDS codingScheme designators that are not OIDs: the NOS gives TRE_A10
	// and TRE_A12 the "OIDs" URN and ASTM (ASS_X04 and JDV_J07 use them).
	// Their canonical form is the NOS FHIR URI, the only real URI they have.
	{oid: "URN", canonical: "https://mos.esante.gouv.fr/NOS/TRE_A10-NomenclatureURN/FHIR/TRE-A10-NomenclatureURN"},
	{oid: "ASTM", canonical: "https://mos.esante.gouv.fr/NOS/TRE_A12-NomenclatureASTM/FHIR/TRE-A12-NomenclatureASTM"},
}

// systemAliases maps every known spelling of a code system to its canonical
// URI. It is built once from codeSystems and never written afterwards.
var systemAliases = func() map[string]string {
	m := make(map[string]string)
	for _, cs := range codeSystems {
		canon := cs.canonical
		if canon == "" {
			canon = "urn:oid:" + cs.oid
		}
		m[cs.oid] = canon
		m[canon] = canon
		for _, a := range cs.aliases {
			m[a] = canon
		}
	}
	return m
}()

// SystemURI returns the canonical URI of a code system given as an OID,
// "urn:oid:<OID>" or a URI. The canonical forms are "http://loinc.org" for
// LOINC (2.16.840.1.113883.6.1, also "LN"), the HL7 terminology URIs for
// v3 Confidentiality (2.16.840.1.113883.5.25) and v3 AdministrativeGender
// (2.16.840.1.113883.5.1), and "urn:oid:<OID>" for every other OID, whether
// given bare, as "urn:oid:" or by one of the NOS FHIR URIs this package knows
// (TRE_A00, A01, A03, A05–A09, A11, R02, R220, R221). The XDS pseudo-OIDs
// "URN" and "ASTM" become the NOS URIs of TRE_A10 and TRE_A12. Any other URI
// is returned as given (trimmed of spaces); "" stays "".
func SystemURI(system string) string {
	s := strings.TrimSpace(system)
	if c, ok := systemAliases[s]; ok {
		return c
	}
	bare := s
	if len(s) >= len("urn:oid:") && strings.EqualFold(s[:len("urn:oid:")], "urn:oid:") {
		bare = s[len("urn:oid:"):]
		if c, ok := systemAliases[bare]; ok {
			return c
		}
	}
	if isOID(bare) {
		return "urn:oid:" + bare
	}
	return s
}

// isOID reports whether s is a dotted OID: digits, with single dots between
// at least two arcs.
func isOID(s string) bool {
	if s == "" || !strings.Contains(s, ".") {
		return false
	}
	for arc := range strings.SplitSeq(s, ".") {
		if arc == "" {
			return false
		}
		for _, r := range arc {
			if r < '0' || r > '9' {
				return false
			}
		}
	}
	return true
}

// conceptKey identifies a code in a code system, the system in canonical
// form (SystemURI) and the code trimmed of spaces.
type conceptKey struct{ system, code string }

func keyOf(system, code string) conceptKey {
	return conceptKey{system: SystemURI(system), code: strings.TrimSpace(code)}
}

func (k conceptKey) String() string { return k.system + "|" + k.code }
