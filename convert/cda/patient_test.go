package cda

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/golden"
)

const (
	insID     = `<id root="1.2.250.1.213.1.4.10" extension="285047505612322"/>`
	nameBlock = `<name>
          <family qualifier="BR">DOCBRIDGE-TEST</family>
          <given>CAMILLE MARIE-ANNE</given>
          <given qualifier="BR">CAMILLE</given>
          <family qualifier="CL">DOCBRIDGE-TEST</family>
          <given qualifier="CL">CAMILLE</given>
        </name>`
)

func TestPatient(t *testing.T) {
	full := docbridge.Patient{
		INS: "285047505612322", INSSystem: "urn:oid:1.2.250.1.213.1.4.10",
		BirthName: "DOCBRIDGE-TEST", FirstNames: []string{"CAMILLE", "MARIE-ANNE"},
		BirthDate: "1985-04-17", Sex: "F", BirthPlace: "75056",
		LocalIDs: []docbridge.Identifier{{System: "urn:oid:1.2.250.1.999.42.9", Value: "DBT-000001"}},
	}
	with := func(f func(p *docbridge.Patient)) docbridge.Patient {
		p := full
		p.FirstNames = append([]string(nil), full.FirstNames...)
		p.LocalIDs = append([]docbridge.Identifier(nil), full.LocalIDs...)
		f(&p)
		return p
	}
	tests := []struct {
		name         string
		edits        []edit
		want         docbridge.Patient
		wantProblems []string
	}{
		{"complete", nil, full, []string{}},
		{"no INS", []edit{{insID, ``}},
			with(func(p *docbridge.Patient) { p.INS, p.INSSystem = "", "" }), []string{"error missing-ins"}},
		{"INS without value", []edit{{insID, `<id root="1.2.250.1.213.1.4.10"/>`}},
			with(func(p *docbridge.Patient) { p.INS, p.INSSystem = "", "" }), []string{"error missing-ins"}},
		{"production NIA OID", []edit{{insID, `<id root="1.2.250.1.213.1.4.9" extension="285047505612322"/>`}},
			with(func(p *docbridge.Patient) { p.INSSystem = "urn:oid:1.2.250.1.213.1.4.9" }), []string{}},
		{"same INS twice", []edit{{insID, insID + insID}}, full, []string{}},
		{"two different INS", []edit{{insID, insID + `<id root="1.2.250.1.213.1.4.8" extension="192036912304577"/>`}},
			with(func(p *docbridge.Patient) {
				p.LocalIDs = append([]docbridge.Identifier{{System: "urn:oid:1.2.250.1.213.1.4.8", Value: "192036912304577"}}, p.LocalIDs...)
			}), []string{"error identity-mismatch"}},
		{"the same birth name in two names, written otherwise", []edit{{nameBlock, nameBlock + `<name><family qualifier="BR">Docbridge Test</family></name>`}}, full, []string{}},
		{"two different birth names", []edit{{nameBlock, nameBlock + `<name><family qualifier="BR">AUTRE</family></name>`}}, full, []string{"error identity-mismatch"}},
		{"unqualified single family", []edit{{nameBlock, `<name><family>DOCBRIDGE-TEST</family><given>CAMILLE MARIE-ANNE</given></name>`}},
			full, []string{"warning missing-trait"}},
		{"no BR family among several", []edit{{`<family qualifier="BR">DOCBRIDGE-TEST</family>`, `<family>DOCBRIDGE-TEST</family>`}},
			with(func(p *docbridge.Patient) { p.BirthName = "" }), []string{"error missing-trait"}},
		{"only the BR first name", []edit{{"<given>CAMILLE MARIE-ANNE</given>", ""}},
			with(func(p *docbridge.Patient) { p.FirstNames = []string{"CAMILLE"} }), []string{"warning missing-trait"}},
		{"first names disagree", []edit{{"<given>CAMILLE MARIE-ANNE</given>", "<given>MARIE-ANNE CAMILLE</given>"}},
			with(func(p *docbridge.Patient) { p.FirstNames = []string{"MARIE-ANNE", "CAMILLE"} }), []string{"warning identity-mismatch"}},
		{"first names spread over givens", []edit{{"<given>CAMILLE MARIE-ANNE</given>", "<given>CAMILLE</given>\n<given> MARIE-ANNE\n</given>"}},
			full, []string{}},
		{"no given", []edit{{"<given>CAMILLE MARIE-ANNE</given>", ""}, {`<given qualifier="BR">CAMILLE</given>`, ""}},
			with(func(p *docbridge.Patient) { p.FirstNames = nil }), []string{"error missing-trait"}},
		{"no birth time", []edit{{`<birthTime value="19850417"/>`, ``}},
			with(func(p *docbridge.Patient) { p.BirthDate = "" }), []string{"error missing-trait"}},
		{"invalid birth time", []edit{{`<birthTime value="19850417"/>`, `<birthTime value="19850431"/>`}},
			with(func(p *docbridge.Patient) { p.BirthDate = "" }), []string{"error missing-trait"}},
		{"partial birth time", []edit{{`<birthTime value="19850417"/>`, `<birthTime value="198504"/>`}},
			with(func(p *docbridge.Patient) { p.BirthDate = "1985-04" }), []string{"warning missing-trait"}},
		{"unknown sex code", []edit{{`<administrativeGenderCode code="F"`, `<administrativeGenderCode code="UN"`}},
			with(func(p *docbridge.Patient) { p.Sex = "" }), []string{"error missing-trait"}},
		{"no birthplace", []edit{{`<county>75056</county>`, ``}},
			with(func(p *docbridge.Patient) { p.BirthPlace = "" }), []string{"error missing-trait"}},
		{"two recordTargets", []edit{{`</recordTarget>`, `</recordTarget><recordTarget/>`}},
			full, []string{"error unsupported-format"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := convertOne(t, edited(t, base, tt.edits...))
			if diff := cmp.Diff(tt.want, d.Patient); diff != "" {
				t.Errorf("Patient (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantProblems, problemCodes(d)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			for _, p := range d.Problems {
				if p.Code == docbridge.MissingTrait && p.Severity == docbridge.SeverityError && !strings.Contains(p.Message, "trait") {
					t.Errorf("missing-trait message %q does not name the trait", p.Message)
				}
			}
		})
	}
}

// TestProblemsCarryNoPatientData converts every sample and corpus file and
// checks no problem message quotes the patient's INS, names, birth date or
// birthplace.
func TestProblemsCarryNoPatientData(t *testing.T) {
	m := golden.Mappings(t)
	var paths []string
	for _, dir := range []string{samplesDir, golden.Corpus("cda-fr"), golden.Corpus("cda-hl7")} {
		p, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
		paths = append(paths, p...)
	}
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		docs, _ := Convert(raw, m, nil)
		for _, d := range docs {
			p := d.Patient
			secrets := append([]string{p.INS, p.BirthName, p.BirthDate, strings.ReplaceAll(p.BirthDate, "-", ""), p.BirthPlace}, p.FirstNames...)
			for _, id := range p.LocalIDs {
				secrets = append(secrets, id.Value)
			}
			msgs, _ := json.Marshal(d.Problems)
			for _, s := range secrets {
				if len(s) >= 3 && regexp.MustCompile(`(?i)\b`+regexp.QuoteMeta(s)+`\b`).Match(msgs) {
					t.Errorf("%s: a problem message contains patient data", filepath.Base(path))
				}
			}
		}
	}
}
