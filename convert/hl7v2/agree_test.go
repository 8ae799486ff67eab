package hl7v2

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/hl7"
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
		// PID disagreeing with itself, the CDA agreeing with its first
		// birthplace.
		{"PID repeats another birthplace", "BDL^^75056", "BDL^^75056~^^^^^^BDL^^69123", []string{"birthPlace"}},
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
			if !strings.Contains(m, "PID") || !strings.Contains(m, "different "+strings.Join(tt.want, ", ")+":") {
				t.Errorf("message %q, want PID and exactly %v", m, tt.want)
			}
			for _, secret := range []string{"192036912304577", "285047505612322", "AUTRE", "JEANNE", "1985", "69123", "75056"} {
				if strings.Contains(m, secret) {
					t.Errorf("message %q quotes a value (%s)", m, secret)
				}
			}
		})
	}
}

// TestPIDRepeatsAgree: PID-5 repetitions of name type L and PID-11
// repetitions of address type BDL are each a source of the birth
// identity; two that differ are identity-mismatch, never first-wins.
func TestPIDRepeatsAgree(t *testing.T) {
	tests := []struct {
		name, names, addrs string
		want               string // the traits named; "" for no problem
	}{
		{"one of each", "DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L", "~^^^^^^BDL^^75056", ""},
		{"a used name besides", "DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L~DUPONT^CAMILLE^^^^^D", "~^^^^^^BDL^^75056", ""},
		{"the same birth name twice, written otherwise", "DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L~Docbridge Test^Camille^^^^^L", "^^^^^^BDL^^75056", ""},
		{"two birth names", "DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L~AUTRE^CAMILLE^CAMILLE MARIE-ANNE^^^^L", "^^^^^^BDL^^75056", "birthName"},
		{"two lists of first names", "DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L~DOCBRIDGE-TEST^CAMILLE^CAMILLE^^^^L", "^^^^^^BDL^^75056", "firstNames"},
		{"two birthplaces", "DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L", "^^^^^^BDL^^75056~^^^^^^BDL^^69123", "birthPlace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := "MSH|^~\\&|LIS|LAB|DB|MES|20250114093500||ORU^R01|C1|P|2.5\r" +
				"PID|1||285047505612322^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||" + tt.names + "||19850417|F|||" + tt.addrs + "\r"
			msg, err := hl7.Parse([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			p := patient(msg, func(code docbridge.Reason, sev docbridge.Severity, format string, args ...any) {
				if code == docbridge.IdentityMismatch && sev == docbridge.SeverityError {
					got = append(got, fmt.Sprintf(format, args...))
				}
			})
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("problems %q, want none", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], "different "+tt.want+":")):
				t.Errorf("problems %q, want one naming exactly %s", got, tt.want)
			}
			if p.BirthName == "" || p.BirthPlace == "" {
				t.Errorf("patient %+v: the first of each is still read", p)
			}
			for _, m := range got {
				if strings.Contains(m, "AUTRE") || strings.Contains(m, "69123") {
					t.Errorf("message %q quotes a value", m)
				}
			}
		})
	}
}
