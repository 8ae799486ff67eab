package fhir

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
)

// TestDocumentReferenceAndItsCDAAgree: a DocumentReference whose content
// is a CDA gives the patient twice (the resource, the CDA's recordTarget);
// they must agree on every trait both give.
func TestDocumentReferenceAndItsCDAAgree(t *testing.T) {
	base, err := os.ReadFile(filepath.Join("testdata", "iti105-pdf.json"))
	if err != nil {
		t.Fatal(err)
	}
	sample, err := os.ReadFile(filepath.Join("..", "..", "samples", "cr-bio-n1-pdf.xml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		old, new string // replaced in the CDA
		want     string // traits named; "" for no identity problem
	}{
		{"the same patient", "", "", ""},
		{"another INS in the CDA", `extension="285047505612322"`, `extension="192036912304577"`, "ins"},
		{"another sex in the CDA", `code="F" displayName="Féminin"`, `code="M" displayName="Masculin"`, "sex"},
		{"another birthplace in the CDA", "<county>75056</county>", "<county>69123</county>", "birthPlace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cda := sample
			if tt.old != "" {
				cda = bytes.Replace(sample, []byte(tt.old), []byte(tt.new), 1)
				if bytes.Equal(cda, sample) {
					t.Fatalf("the sample holds no %q", tt.old)
				}
			}
			var doc map[string]any
			if err := json.Unmarshal(base, &doc); err != nil {
				t.Fatal(err)
			}
			att := doc["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)
			att["contentType"], att["data"] = "text/xml", base64.StdEncoding.EncodeToString(cda)
			delete(att, "hash")
			delete(att, "size")
			in, _ := json.Marshal(doc)
			docs, err := Convert(in, testOptions(t))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range docs[0].Problems {
				if p.Code == docbridge.IdentityMismatch && p.Severity == docbridge.SeverityError {
					got = append(got, p.Message)
				}
			}
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("problems %q, want no identity-mismatch", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], "different "+tt.want+":") || !strings.Contains(got[0], "recordTarget")):
				t.Errorf("problems %q, want one naming recordTarget and exactly %s", got, tt.want)
			}
			for _, m := range got {
				for _, secret := range []string{"192036912304577", "69123", "75056"} {
					if strings.Contains(m, secret) {
						t.Errorf("message %q quotes a value", m)
					}
				}
			}
		})
	}
}

// TestSubmissionSubjectAgrees: the subject of an ITI-65 Bundle's
// SubmissionSet List is a second source of its documents' patient.
func TestSubmissionSubjectAgrees(t *testing.T) {
	base, err := os.ReadFile(filepath.Join("testdata", "iti65-replace.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		subject any // the List's subject; nil keeps the Bundle's
		want    string
	}{
		{"the Bundle's Patient", nil, ""},
		{"no subject", "drop", ""},
		{"the same INS by conditional reference", map[string]any{"reference": "Patient?identifier=urn:oid:1.2.250.1.213.1.4.10|285047505612322"}, ""},
		{"another INS by conditional reference", map[string]any{"reference": "Patient?identifier=urn:oid:1.2.250.1.213.1.4.10|192036912304577"}, "ins"},
		{"another INS by identifier", map[string]any{"identifier": map[string]any{"system": "urn:oid:1.2.250.1.213.1.4.10", "value": "192036912304577"}}, "ins"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var bundle map[string]any
			if err := json.Unmarshal(base, &bundle); err != nil {
				t.Fatal(err)
			}
			list := bundle["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
			if list["resourceType"] != "List" {
				t.Fatal("entry 0 of the test Bundle is not its List")
			}
			switch tt.subject {
			case nil:
			case "drop":
				delete(list, "subject")
			default:
				list["subject"] = tt.subject
			}
			in, _ := json.Marshal(bundle)
			docs, err := Convert(in, testOptions(t))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range docs[0].Problems {
				if p.Code == docbridge.IdentityMismatch && p.Severity == docbridge.SeverityError {
					got = append(got, p.Message)
				}
			}
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("problems %q, want no identity-mismatch", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], "different "+tt.want+":") || !strings.Contains(got[0], "List")):
				t.Errorf("problems %q, want one naming the List and exactly %s", got, tt.want)
			}
		})
	}
}
