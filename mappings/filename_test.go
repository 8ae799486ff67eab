package mappings

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
)

func TestMatchFilenameEmbedded(t *testing.T) {
	s := mustLoad(t, "")
	tests := []struct {
		name string
		want map[string]string // nil: no match
	}{
		{"279035121518989_11502-2_20250301.pdf", map[string]string{"ins": "279035121518989", "type": "11502-2", "date": "20250301"}},
		{"279035121518989_11502-2_202503011230.PDF", map[string]string{"ins": "279035121518989", "type": "11502-2", "date": "202503011230"}},
		{"2790351215189_11502-2_20250301.pdf", nil}, // INS too short
		{"279032A21518989_11502-2_2025-03-01.pdf", map[string]string{"ins": "279032A21518989", "type": "11502-2", "date": "2025-03-01"}},
		{"279035121518989_11502-2_20250301.pdf.tmp", nil}, // the whole name must match
		{"report.pdf", nil},
		{"279035121518989_11502-2_2025030.pdf", nil}, // a date has 8, 12 or 14 digits
	}
	for _, tt := range tests {
		m, ok := s.MatchFilename(tt.name)
		if ok != (tt.want != nil) {
			t.Errorf("MatchFilename(%q) ok = %v, want %v", tt.name, ok, tt.want != nil)
			continue
		}
		if !ok {
			continue
		}
		if diff := cmp.Diff(tt.want, m.Values); diff != "" {
			t.Errorf("MatchFilename(%q) values (-want +got):\n%s", tt.name, diff)
		}
		if m.Pattern.Name != "ins-type-date" || m.Pattern.TypeSystem != LOINC || m.Pattern.INSSystem != "urn:oid:1.2.250.1.213.1.4.8" {
			t.Errorf("MatchFilename(%q) pattern = %+v", tt.name, m.Pattern)
		}
	}
}

const labPatterns = `# the lab's own names
- name: lab
  pattern: "CR_{id}_{ins}_{birthDate}_{sex}_{birthPlace}_{*}.pdf"
  typeSystem: "1.2.250.1.999.1"
  insSystem: "1.2.250.1.213.1.4.10"
  facilityType: {system: "1.2.250.1.71.4.2.4", code: SA25}
  practiceSetting: {system: "https://mos.esante.gouv.fr/NOS/TRE_A01-CadreExercice/FHIR/TRE-A01-CadreExercice", code: AMBULATOIRE}
  language: fr-FR
  confidentiality: R
  author: {id: "810000000001", system: "1.2.250.1.71.4.2.1", name: "Dr Test"}
  custodian: {id: "1120000001", system: "1.2.250.1.71.4.2.2", name: "Laboratoire test"}
- name: names
  pattern: "{birthName}__{firstNames}__{type}.pdf"
`

func TestMatchFilenameOverride(t *testing.T) {
	s := mustLoad(t, writeDir(t, map[string]string{FilenamePatternsFile: labPatterns}))
	if _, ok := s.MatchFilename("279035121518989_11502-2_20250301.pdf"); ok {
		t.Error("the embedded pattern still matches: the override must replace the list")
	}
	m, ok := s.MatchFilename("cr_A-12_279035121518989_19790328_F_51215_copy 2.pdf")
	if !ok {
		t.Fatal("MatchFilename: no match for the lab pattern")
	}
	want := map[string]string{"id": "A-12", "ins": "279035121518989", "birthDate": "19790328", "sex": "F", "birthPlace": "51215"}
	if diff := cmp.Diff(want, m.Values); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	p := m.Pattern
	if got, want := p.Fields, []string{"id", "ins", "birthDate", "sex", "birthPlace"}; !cmp.Equal(got, want) {
		t.Errorf("Fields = %v, want %v", got, want)
	}
	if p.TypeSystem != "urn:oid:1.2.250.1.999.1" || p.INSSystem != "urn:oid:1.2.250.1.213.1.4.10" {
		t.Errorf("systems = %q, %q", p.TypeSystem, p.INSSystem)
	}
	if want := (docbridge.Coding{System: "urn:oid:1.2.250.1.71.4.2.4", Code: "SA25", Display: "Laboratoire de biologie médicale"}); p.FacilityType != want {
		t.Errorf("FacilityType = %+v, want %+v", p.FacilityType, want)
	}
	if p.PracticeSetting.Code != "AMBULATOIRE" || p.PracticeSetting.System != "urn:oid:1.2.250.1.213.1.1.4.9" {
		t.Errorf("PracticeSetting = %+v", p.PracticeSetting)
	}
	if p.Language != "fr-FR" || p.Confidentiality != "R" {
		t.Errorf("Language, Confidentiality = %q, %q", p.Language, p.Confidentiality)
	}
	if want := (&docbridge.Author{ID: "810000000001", System: "urn:oid:1.2.250.1.71.4.2.1", Name: "Dr Test"}); !cmp.Equal(p.Author, want) {
		t.Errorf("Author = %+v, want %+v", p.Author, want)
	}
	if p.Custodian == nil || p.Custodian.System != "urn:oid:1.2.250.1.71.4.2.2" {
		t.Errorf("Custodian = %+v", p.Custodian)
	}
	m, ok = s.MatchFilename("DE LA TOUR__JEAN+PIERRE__11502-2.pdf")
	if !ok || m.Values["birthName"] != "DE LA TOUR" || m.Values["firstNames"] != "JEAN+PIERRE" || m.Pattern.Name != "names" {
		t.Errorf("MatchFilename(names) = %+v, %v", m, ok)
	}
	if _, err := Load(writeDir(t, map[string]string{FilenamePatternsFile: "[]\n"})); err != nil {
		t.Errorf("Load with an empty pattern list: %v", err)
	}
}

func TestFilenamePatternErrors(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
	}{
		{"unknown key", "- name: a\n  pattern: \"{ins}.pdf\"\n  colour: red\n", []string{"line 3", "colour"}},
		{"no name", "- pattern: \"{ins}.pdf\"\n", []string{"line 1", "entry 1", "name: missing"}},
		{"no pattern", "- name: a\n", []string{"entry 1", "pattern: missing"}},
		{"unknown field", "- name: a\n  pattern: \"{nir}.pdf\"\n", []string{"{nir} is not a field"}},
		{"repeated field", "- name: a\n  pattern: \"{ins}_{ins}.pdf\"\n", []string{"{ins} appears twice"}},
		{"adjacent fields", "- name: a\n  pattern: \"{ins}{type}.pdf\"\n", []string{"{type} follows another field"}},
		{"no field", "- name: a\n  pattern: \"report.pdf\"\n", []string{"has no field"}},
		{"only any", "- name: a\n  pattern: \"{*}.pdf\"\n", []string{"has no field"}},
		{"unclosed", "- name: a\n  pattern: \"{ins.pdf\"\n", []string{"{ without }"}},
		{"stray close", "- name: a\n  pattern: \"ins}.pdf\"\n", []string{"} without {"}},
		{"duplicate name", "- name: a\n  pattern: \"{ins}.pdf\"\n- name: a\n  pattern: \"{id}.pdf\"\n", []string{"line 3", "entry 2", "already used at line 1"}},
		{"ins system", "- name: a\n  pattern: \"{ins}.pdf\"\n  insSystem: 1.2.3\n", []string{"insSystem", "not an INS OID"}},
		{"facility", "- name: a\n  pattern: \"{ins}.pdf\"\n  facilityType: {system: 1.2.250.1.71.4.2.4, code: SA999}\n", []string{"facilityType", "SA999", "JDV_J02"}},
		{"practice", "- name: a\n  pattern: \"{ins}.pdf\"\n  practiceSetting: {system: 1.2.3, code: X}\n", []string{"practiceSetting", "JDV_J04"}},
		{"language", "- name: a\n  pattern: \"{ins}.pdf\"\n  language: french\n", []string{"language", "french"}},
		{"confidentiality", "- name: a\n  pattern: \"{ins}.pdf\"\n  confidentiality: INVISIBLE_PATIENT\n", []string{"confidentiality", "N, R, V"}},
		{"two documents", "- name: a\n  pattern: \"{ins}.pdf\"\n---\n- {}\n", []string{"line 3", "one YAML document"}},
		{"not a list", "name: a\n", []string{"line 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeDir(t, map[string]string{FilenamePatternsFile: tt.file}))
			if err == nil {
				t.Fatalf("Load: no error, want one containing %q", tt.want)
			}
			for _, w := range append(tt.want, FilenamePatternsFile) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load: error %q does not contain %q", err, w)
				}
			}
		})
	}
}
