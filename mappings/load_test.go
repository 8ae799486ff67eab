package mappings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
)

// writeDir writes files (name → content) into a new temporary directory.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// svs builds an SVS value set file.
func svs(displayName, concepts string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<RetrieveValueSetResponse xmlns="urn:ihe:iti:svs:2008">
  <ValueSet id="1.2.250.1.999.5.1" displayName="` + displayName + `">
    <ConceptList>
` + concepts + `
    </ConceptList>
  </ValueSet>
</RetrieveValueSetResponse>
`
}

const j08Name = "JDV_J08_XdsConfidentialityCode_CISIS.xml"

func TestOverrideReplacesFile(t *testing.T) {
	dir := writeDir(t, map[string]string{
		j08Name: svs("JDV_J08_XdsConfidentialityCode_CISIS.tabs",
			`<Concept code="N" codeSystem="2.16.840.1.113883.5.25" displayName="Normal (local)"/>`),
	})
	s := mustLoad(t, dir)
	got, ok := s.Lookup(Confidentiality, "2.16.840.1.113883.5.25", "N")
	if want := (docbridge.Coding{System: HL7Confidentiality, Code: "N", Display: "Normal (local)"}); !ok || got != want {
		t.Errorf("Lookup(J08, N) = %+v, %v; want %+v", got, ok, want)
	}
	if s.Contains(Confidentiality, "2.16.840.1.113883.5.25", "R") {
		t.Error("Contains(J08, R) = true, want false: the replaced file had R")
	}
}

func TestOverrideExtends(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"extra-J02.xml": svs("JDV_J02_Local.tabs",
			`<Concept code="SA99" codeSystem="1.2.250.1.71.4.2.4" displayName="Secteur local"/>`),
		"extra-X04.json": `{"resourceType": "ConceptMap", "name": "ASS_X04_Local",
		  "group": [{"source": "http://loinc.org", "target": "` + a03URI + `",
		    "element": [{"code": "00000-0", "target": [{"code": "11", "equivalence": "equivalent"}]},
		                {"code": "11502-2", "target": [{"code": "10", "equivalence": "equivalent"}]}]}]}`,
		"bom-J04.json": "\ufeff" + `{"resourceType": "ValueSet", "name": "JDV_J04_Local",
		  "compose": {"include": [{"system": "urn:oid:1.2.250.1.213.1.1.4.9",
		    "concept": [{"code": "LOCAL", "display": "Cadre local"}]}]}}`,
		"README.md":         "ignored",
		".hidden.yaml":      "ignored: [",
		"sub/local.yaml":    "ignored: [",
		"ASS-X16-notes.fsh": "ignored",
	})
	s := mustLoad(t, dir)
	for _, code := range []string{"SA99", "SA25"} {
		if !s.Contains(FacilityTypes, "1.2.250.1.71.4.2.4", code) {
			t.Errorf("Contains(J02, %s) = false, want true", code)
		}
	}
	if got, ok := s.Lookup(PracticeSettings, "https://mos.esante.gouv.fr/NOS/TRE_A01-CadreExercice/FHIR/TRE-A01-CadreExercice", "LOCAL"); !ok || got.Display != "Cadre local" {
		t.Errorf("Lookup(J04, LOCAL) = %+v, %v; want display %q", got, ok, "Cadre local")
	}
	for code, want := range map[string]string{"00000-0": "11", "11502-2": "10"} {
		if got, ok := s.ClassOf(docbridge.Coding{System: LOINC, Code: code}); !ok || got.Code != want {
			t.Errorf("ClassOf(%s) = %+v, %v; want %s", code, got, ok, want)
		}
	}
}

const localCodes = `# local system (OID or URI) and code → national coding in a value set
- valueSet: JDV_J07
  from: {system: "1.2.250.1.999.1", code: "CRBIO"}
  to:   {system: "2.16.840.1.113883.6.1", code: "11502-2"}
- valueSet: JDV_J02
  from: {system: "http://lab.example/sectors", code: "LAB"}
  to:   {system: "https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite", code: "SA25"}
`

func TestLocalCodes(t *testing.T) {
	s := mustLoad(t, writeDir(t, map[string]string{LocalCodesFile: localCodes}))
	crBio := docbridge.Coding{System: LOINC, Code: "11502-2", Display: "CR d'examens biologiques"}
	lab := docbridge.Coding{System: "urn:oid:1.2.250.1.71.4.2.4", Code: "SA25", Display: "Laboratoire de biologie médicale"}
	tests := []struct {
		vs, system, code string
		want             docbridge.Coding
		ok               bool
	}{
		{TypeCodes, "1.2.250.1.999.1", "CRBIO", crBio, true},
		{TypeCodes, "urn:oid:1.2.250.1.999.1", "CRBIO", crBio, true},
		{TypeCodes, LOINC, "11502-2", crBio, true}, // national codes still work
		{FacilityTypes, "http://lab.example/sectors", "LAB", lab, true},
		{FacilityTypes, "1.2.250.1.999.1", "CRBIO", docbridge.Coding{}, false}, // mapped for J07 only
		{TypeCodes, "1.2.250.1.999.2", "CRBIO", docbridge.Coding{}, false},
	}
	for _, tt := range tests {
		got, ok := s.Lookup(tt.vs, tt.system, tt.code)
		if ok != tt.ok || got != tt.want {
			t.Errorf("Lookup(%q, %q, %q) = %+v, %v; want %+v, %v", tt.vs, tt.system, tt.code, got, ok, tt.want, tt.ok)
		}
	}
	if s.Contains(TypeCodes, "1.2.250.1.999.1", "CRBIO") {
		t.Error("Contains(J07, local CRBIO) = true, want false: local codes are not members")
	}
	if _, err := Load(writeDir(t, map[string]string{LocalCodesFile: "# nothing yet\n"})); err != nil {
		t.Errorf("Load with an empty %s: %v", LocalCodesFile, err)
	}
}

func TestOverrideErrors(t *testing.T) {
	entry := func(vs, from, to string) string {
		return "- valueSet: " + vs + "\n  from: " + from + "\n  to: " + to + "\n"
	}
	const (
		crbio = `{system: "1.2.250.1.999.1", code: "CRBIO"}`
		crBio = `{system: "2.16.840.1.113883.6.1", code: "11502-2"}`
	)
	tests := []struct {
		name  string
		files map[string]string
		want  []string // substrings of the error
	}{
		{"doctype", map[string]string{"x.xml": `<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY e "boom">]>
<RetrieveValueSetResponse/>`}, []string{"x.xml", "line 2", "DOCTYPE"}},
		{"xml syntax", map[string]string{"x.xml": "<RetrieveValueSetResponse>\n<ValueSet>\n</Oops>"}, []string{"x.xml", "line 3"}},
		{"not svs", map[string]string{"x.xml": "<ClinicalDocument/>"}, []string{"x.xml", "RetrieveValueSetResponse"}},
		{"svs bad pair", map[string]string{"x.xml": `<RetrieveValueSetResponse><ValueSet displayName="ASS_X04_Local">
<MappedConceptList>
<MappedConcept><Concept code="1" codeSystem="1.2.3"/></MappedConcept>
</MappedConceptList></ValueSet></RetrieveValueSetResponse>`}, []string{"x.xml", "line 3", "MappedConcept"}},
		{"svs concept without system", map[string]string{"x.xml": svs("JDV_J02_X", `<Concept code="A"/>`)}, []string{"x.xml", "line 5", "codeSystem"}},
		{"empty value set", map[string]string{"x.xml": svs("JDV_J02_X", "")}, []string{"x.xml", "no concepts"}},
		{"json syntax", map[string]string{"x.json": "{\n  \"resourceType\": \"ValueSet\",\n  oops\n}"}, []string{"x.json", "line 3"}},
		{"json type", map[string]string{"x.json": "{\n  \"resourceType\": 42\n}"}, []string{"x.json", "line 2", "resourceType"}},
		{"json resource", map[string]string{"x.json": `{"resourceType": "Patient"}`}, []string{"x.json", "resourceType", "Patient"}},
		{"json filter", map[string]string{"x.json": `{"resourceType": "ValueSet", "name": "JDV_J02_X",
			"compose": {"include": [{"system": "http://x", "filter": [{"op": "is-a"}]}]}}`}, []string{"x.json", "compose.include[0]", "filter"}},
		{"json missing code", map[string]string{"x.json": `{"resourceType": "ValueSet", "name": "JDV_J02_X",
			"compose": {"include": [{"system": "http://x", "concept": [{"display": "no code"}]}]}}`}, []string{"x.json", "compose.include[0].concept[0].code"}},
		{"display conflict", map[string]string{"x.xml": svs("JDV_J08_Local",
			`<Concept code="N" codeSystem="2.16.840.1.113883.5.25" displayName="Autre"/>`)},
			[]string{"x.xml", "JDV_J08", "Autre", "Normal", j08Name}},
		{"map conflict", map[string]string{"x.json": `{"resourceType": "ConceptMap", "name": "ASS_X04_Local",
			"group": [{"source": "2.16.840.1.113883.6.1", "target": "1.2.250.1.213.1.1.4.1",
			"element": [{"code": "11502-2", "target": [{"code": "11"}]}]}]}`},
			[]string{"x.json", "ASS_X04", "11502-2", "ASS_X04-CorrespondanceType-Classe-CISIS.xml"}},
		{"map target unknown", map[string]string{"x.json": `{"resourceType": "ConceptMap", "name": "ASS_A11_Local",
			"group": [{"source": "1.2.250.1.213.1.1.4.328", "target": "1.2.250.1.213.1.1.4.2.282",
			"element": [{"code": "1.2.250.1.999.9", "target": [{"code": "urn:local:nope"}]}]}]}`},
			[]string{"ASS_A11", "x.json", "urn:local:nope", "no loaded value set"}},
		{"required set replaced", map[string]string{"JDV_J07_XdsTypeCode_CISIS.xml": svs("JDV_J99_Other",
			`<Concept code="A" codeSystem="1.2.3" displayName="A"/>`)}, []string{"JDV_J07_XdsTypeCode_CISIS.xml", "defines JDV_J99", "of JDV_J07"}},
		{"yml", map[string]string{"local-codes.yml": localCodes}, []string{"local-codes.yml", "unknown YAML file"}},
		{"unknown field", map[string]string{LocalCodesFile: "- valueSet: JDV_J07\n  form: {system: a, code: b}\n"},
			[]string{LocalCodesFile, "line 2", "form"}},
		{"not a list", map[string]string{LocalCodesFile: "valueSet: JDV_J07\n"}, []string{LocalCodesFile, "line 1"}},
		{"two documents", map[string]string{LocalCodesFile: entry("JDV_J07", crbio, crBio) + "---\n- {}\n"},
			[]string{LocalCodesFile, "line 4", "one YAML document"}},
		{"missing field", map[string]string{LocalCodesFile: "- valueSet: JDV_J07\n  to: " + crBio + "\n"},
			[]string{LocalCodesFile, "line 1", "entry 1", "from.system: missing"}},
		{"unknown value set", map[string]string{LocalCodesFile: entry("JDV_J99", crbio, crBio)},
			[]string{LocalCodesFile, "entry 1", "JDV_J99"}},
		{"target not in set", map[string]string{LocalCodesFile: entry("JDV_J07", crbio, crBio) +
			entry("JDV_J07", `{system: "1.2.250.1.999.1", code: "X"}`, `{system: "http://loinc.org", code: "99999-9"}`)},
			[]string{LocalCodesFile, "line 4", "entry 2", "http://loinc.org|99999-9 is not in JDV_J07"}},
		{"target in wrong system", map[string]string{LocalCodesFile: entry("JDV_J07", crbio, `{system: "1.2.250.1.213.1.1.4.12", code: "11502-2"}`)},
			[]string{LocalCodesFile, "entry 1", "not in JDV_J07"}},
		{"from is national", map[string]string{LocalCodesFile: entry("JDV_J07", `{system: "2.16.840.1.113883.6.1", code: "11488-4"}`, crBio)},
			[]string{LocalCodesFile, "entry 1", "already a national code"}},
		{"duplicate from", map[string]string{LocalCodesFile: entry("JDV_J07", crbio, crBio) +
			entry("JDV_J07", `{system: "urn:oid:1.2.250.1.999.1", code: "CRBIO"}`, `{system: "http://loinc.org", code: "11488-4"}`)},
			[]string{LocalCodesFile, "line 4", "entry 2", "already mapped", "line 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeDir(t, tt.files))
			if err == nil {
				t.Fatalf("Load: no error, want one containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load: error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestOverrideDirMissing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nope")
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Load(%q) = %v, want an error naming the directory", dir, err)
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(""); err != nil {
			b.Fatal(err)
		}
	}
}
