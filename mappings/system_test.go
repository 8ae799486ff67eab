package mappings

import (
	"strings"
	"testing"
)

func TestSystemURI(t *testing.T) {
	const (
		a03 = "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument"
		a10 = "https://mos.esante.gouv.fr/NOS/TRE_A10-NomenclatureURN/FHIR/TRE-A10-NomenclatureURN"
	)
	tests := []struct{ in, want string }{
		{"2.16.840.1.113883.6.1", LOINC},
		{"urn:oid:2.16.840.1.113883.6.1", LOINC},
		{"URN:OID:2.16.840.1.113883.6.1", LOINC},
		{"http://loinc.org", LOINC},
		{"LN", LOINC},
		{" 2.16.840.1.113883.6.1 ", LOINC},
		{"2.16.840.1.113883.5.25", HL7Confidentiality},
		{"https://mos.esante.gouv.fr/NOS/TRE_A08-HL7Confidentiality/FHIR/TRE-A08-HL7Confidentiality", HL7Confidentiality},
		{"urn:oid:2.16.840.1.113883.5.1", HL7AdministrativeGender},
		{"1.2.250.1.213.1.1.4.1", ClassSystem},
		{a03, ClassSystem},
		{"urn:oid:1.2.250.1.213.1.1.4.1", ClassSystem},
		{"https://mos.esante.gouv.fr/NOS/TRE_A11-IheFormatCode/FHIR/TRE-A11-IheFormatCode", IHEFormatSystem},
		{"1.2.250.1.213.1.1.4.2.282", ANSFormatSystem},
		{"1.2.250.1.71.4.2.4", "urn:oid:1.2.250.1.71.4.2.4"},
		{"1.2.250.1.999.1", "urn:oid:1.2.250.1.999.1"},
		{"urn:oid:1.2.250.1.999.1", "urn:oid:1.2.250.1.999.1"},
		{"URN", a10},
		{"urn:oid:URN", a10},
		{"http://example.org/local", "http://example.org/local"},
		{"urn:oid:not-an-oid", "urn:oid:not-an-oid"},
		{"1..2", "1..2"},
		{"L", "L"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := SystemURI(tt.in); got != tt.want {
			t.Errorf("SystemURI(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Every system named by the embedded data must be one SystemURI knows, or a
// plain OID: an unknown NOS FHIR URI would make two spellings of one system
// compare different.
func TestEmbeddedSystemsKnown(t *testing.T) {
	s := mustLoad(t, "")
	for _, name := range s.ValueSets() {
		for _, c := range s.Members(name) {
			if strings.HasPrefix(c.System, "https://mos.esante.gouv.fr/") {
				if _, ok := systemAliases[c.System]; !ok {
					t.Errorf("%s: %s|%s: system is an unknown NOS URI", name, c.System, c.Code)
				}
			}
		}
	}
}
