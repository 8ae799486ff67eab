package hl7v2

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
)

// TestPIDAndCDAAgree (issue 15 case 8): PID and the embedded CDA's
// recordTarget are two sources of one document's patient; any trait both
// give must be the same (after normalisation), else identity-mismatch
// naming the traits, never their values.
func TestPIDAndCDAAgree(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString(cdaSample(t))
	const pid = "PID|1||285047505612322^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L||19850417|F|||~^^^^^^BDL^^75056"
	tests := []struct {
		name     string
		old, new string // replaced in the PID of message()
		want     []string
	}{
		{"same patient", "", "", nil},
		{"written otherwise", "DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE", "Docbridge Test^Camille^Camille Marie Anne", nil},
		{"only the first first name (PID-5.3 empty)", "^CAMILLE^CAMILLE MARIE-ANNE^", "^CAMILLE^^", nil},
		{"traits PID does not give", "19850417|F|||~^^^^^^BDL^^75056", "|||||", nil},
		{"another INS", "285047505612322", "192036912304577", []string{"ins"}},
		{"another INS system", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.8", []string{"insSystem"}},
		{"another birth name", "DOCBRIDGE-TEST^", "AUTRE^", []string{"birthName"}},
		{"another first first name", "^CAMILLE^CAMILLE MARIE-ANNE^", "^JEANNE^^", []string{"firstNames"}},
		{"other first names", "CAMILLE MARIE-ANNE", "CAMILLE MARIE", []string{"firstNames"}},
		{"another birthplace", "BDL^^75056", "BDL^^69123", []string{"birthPlace"}},
		{"another sex and birth date", "19850417|F", "19850418|M", []string{"birthDate", "sex"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := message("ORU^R01", "NW", "F", b64, "\r")
			if tt.old != "" {
				changed := strings.Replace(msg, pid, strings.Replace(pid, tt.old, tt.new, 1), 1)
				if changed == msg {
					t.Fatalf("the test's PID is not message()'s, or holds no %q", tt.old)
				}
				msg = changed
			}
			docs, err := Convert([]byte(msg), testOptions(t))
			if err != nil {
				t.Fatal(err)
			}
			var got []docbridge.Problem
			for _, p := range docs[0].Problems {
				if p.Code == docbridge.IdentityMismatch {
					got = append(got, p)
				}
			}
			if tt.want == nil {
				if len(got) > 0 {
					t.Errorf("problems %+v, want no identity-mismatch", got)
				}
				return
			}
			if len(got) != 1 || got[0].Severity != docbridge.SeverityError {
				t.Fatalf("problems %+v, want one identity-mismatch error", docs[0].Problems)
			}
			m := got[0].Message
			if !strings.Contains(m, "PID") || !strings.Contains(m, "recordTarget") || !strings.Contains(m, "different "+strings.Join(tt.want, ", ")+":") {
				t.Errorf("message %q, want PID, recordTarget and exactly %v", m, tt.want)
			}
			for _, secret := range []string{"192036912304577", "285047505612322", "AUTRE", "JEANNE", "1985", "69123", "75056"} {
				if strings.Contains(m, secret) {
					t.Errorf("message %q quotes a value (%s)", m, secret)
				}
			}
		})
	}
}
