package pdf

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
)

// TestSidecarAndFileNameAgree (issue 15 case 8): a PDF whose sidecar and
// file name (through a pattern) both give the patient's identity stops in
// review when they differ on any trait, and the message names both sources
// and the traits, never their values.
func TestSidecarAndFileNameAgree(t *testing.T) {
	dir := t.TempDir()
	patterns := `- name: lab
  pattern: "{ins}_{birthName}_{firstNames}_{birthDate}_{sex}_{birthPlace}_{type}_{date}.pdf"
  insSystem: 1.2.250.1.213.1.4.10
- name: ins-type-date
  pattern: "{ins}_{type}_{date}.pdf"
  typeSystem: "http://loinc.org"
`
	if err := os.WriteFile(filepath.Join(dir, mappings.FilenamePatternsFile), []byte(patterns), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := mappings.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	o := testOptions(t)
	o.Mappings = m
	pdf := readTestdata(t, "cr-bio.pdf")
	side := readTestdata(t, "cr-bio.json") // patient 285047505612322, DOCBRIDGE-TEST CAMILLE MARIE-ANNE, 1985-04-17, F, 75056
	tests := []struct {
		name string
		file string
		want []string // the traits named in an identity-mismatch problem; nil for none
	}{
		{"no pattern matches", "report.pdf", nil},
		{"same INS", "285047505612322_11502-2_20250301.pdf", nil},
		{"another patient's INS", "192036912304577_11502-2_20250301.pdf", []string{"ins"}},
		{"same identity, written otherwise", "285047505612322_Docbridge Test_Camille+Marie Anne_1985-04-17_f_75056_11502-2_20250301.pdf", nil},
		{"another birth date", "285047505612322_DOCBRIDGE-TEST_CAMILLE+MARIE-ANNE_19850418_F_75056_11502-2_20250301.pdf", []string{"birthDate"}},
		{"another name, sex and birthplace", "285047505612322_AUTRE_CAMILLE+MARIE-ANNE_19850417_M_69123_11502-2_20250301.pdf", []string{"birthName", "sex", "birthPlace"}},
		{"another first name", "285047505612322_DOCBRIDGE-TEST_CAMILLE_19850417_F_75056_11502-2_20250301.pdf", []string{"firstNames"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := Convert(bytes.NewReader(pdf), int64(len(pdf)), docbridge.Origin{Name: tt.file, Sidecar: side}, o)
			if err != nil {
				t.Fatal(err)
			}
			d := docs[0]
			if d.Patient.INS != "285047505612322" {
				t.Errorf("Patient.INS = %q, want the sidecar's", d.Patient.INS)
			}
			var mismatch []docbridge.Problem
			for _, p := range d.Problems {
				if p.Code == docbridge.IdentityMismatch {
					mismatch = append(mismatch, p)
				}
			}
			if tt.want == nil {
				if len(mismatch) > 0 || d.Worst() != nil {
					t.Errorf("problems = %+v, want none", d.Problems)
				}
				return
			}
			if len(mismatch) != 1 || mismatch[0].Severity != docbridge.SeverityError || d.Worst().Code != docbridge.IdentityMismatch {
				t.Fatalf("problems = %+v, want one identity-mismatch error deciding the state", d.Problems)
			}
			msg := mismatch[0].Message
			for _, w := range append([]string{"sidecar", "file name"}, tt.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not name %q", msg, w)
				}
			}
			for _, secret := range []string{"192036912304577", "285047505612322", "AUTRE", "1985", "69123", "CAMILLE"} {
				if strings.Contains(msg, secret) {
					t.Errorf("message %q quotes a value (%s)", msg, secret)
				}
			}
		})
	}
}
