package fhir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
)

func TestConvertRefusals(t *testing.T) {
	o := testOptions(t)
	tests := []struct {
		name, in   string
		o          *Options
		wantReason docbridge.Reason
		wantMsg    string
	}{
		{"not json", `{"resourceType": "Bundle",`, nil, docbridge.Malformed, "ends before"},
		{"syntax", `{"resourceType" "Bundle"}`, nil, docbridge.Malformed, "syntax error at byte"},
		{"resourceType not a string", `{"resourceType": 7}`, nil, docbridge.Malformed, "resourceType must not be a JSON number"},
		{"unknown status code", `{"resourceType": "DocumentReference", "status": "SECRET", "content": []}`, nil, docbridge.Malformed,
			"a DocumentReferenceStatus code that FHIR R4 does not define"},
		{"no content", `{"resourceType": "DocumentReference", "status": "current"}`, nil, docbridge.Malformed, "no content"},
		{"neither data nor url", `{"resourceType": "DocumentReference", "content": [{"attachment": {"contentType": "application/pdf"}}]}`, nil,
			docbridge.Malformed, "neither data nor url"},
		{"bad base64", `{"resourceType": "DocumentReference", "content": [{"attachment": {"data": "!!!"}}]}`, nil, docbridge.Malformed, "base64"},
		{"empty document bundle", `{"resourceType": "Bundle", "type": "document"}`, nil, docbridge.Malformed, "no entry"},
		{"composition not first", `{"resourceType": "Bundle", "type": "document", "entry": [{"resource": {"resourceType": "Patient"}}]}`, nil,
			docbridge.Malformed, "not a resource of type Patient"},
		{"composition without status", `{"resourceType": "Bundle", "type": "document", "entry": [{"resource": {"resourceType": "Composition"}}]}`, nil,
			docbridge.Malformed, "status is missing"},
		{"empty transaction", `{"resourceType": "Bundle", "type": "transaction", "entry": []}`, nil, docbridge.UnsupportedFormat, "creates no DocumentReference"},
		{"batch", `{"resourceType": "Bundle", "type": "batch"}`, nil, docbridge.UnsupportedFormat, "type batch"},
		{"binary", `{"resourceType": "Binary"}`, nil, docbridge.UnsupportedFormat, "no metadata"},
		{"composition", `{"resourceType": "Composition"}`, nil, docbridge.UnsupportedFormat, "document Bundle"},
		{"observation", `{"resourceType": "Observation"}`, nil, docbridge.UnsupportedFormat, "an Observation is a measurement: the source profile of this sender must turn measurements on"},
		{"too large", `{"resourceType": "DocumentReference", "description": "` + strings.Repeat("x", MaxSize) + `"}`, nil, docbridge.TooLarge, "128 MiB"},
		{"no mappings", `{"resourceType": "DocumentReference"}`, &Options{}, docbridge.Internal, "Mappings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := o
			if tt.o != nil {
				opts = *tt.o
			}
			docs, err := Convert([]byte(tt.in), opts)
			if docbridge.ReasonOf(err) != tt.wantReason || !strings.Contains(docbridge.MessageOf(err), tt.wantMsg) {
				t.Fatalf("Convert = %d documents, %v; want %q mentioning %q", len(docs), err, tt.wantReason, tt.wantMsg)
			}
			if strings.Contains(docbridge.MessageOf(err), "SECRET") {
				t.Errorf("message quotes a value: %s", docbridge.MessageOf(err))
			}
		})
	}
}

// TestPatientReferences reads the patient's INS from each form of subject
// PDSm and MHD use.
func TestPatientReferences(t *testing.T) {
	base, err := os.ReadFile(filepath.Join("testdata", "iti105-pdf.json"))
	if err != nil {
		t.Fatal(err)
	}
	const ins = "285047505612322"
	tests := []struct {
		name, subject string
		wantINS       string
	}{
		{"conditional", `{"reference": "Patient?identifier=urn:oid:1.2.250.1.213.1.4.10|` + ins + `"}`, ins},
		{"conditional, escaped", `{"reference": "Patient?identifier=urn%3Aoid%3A1.2.250.1.213.1.4.10%7C` + ins + `"}`, ins},
		{"logical", `{"identifier": {"system": "urn:oid:1.2.250.1.213.1.4.10", "value": "` + ins + `"}}`, ins},
		{"contained", `{"reference": "#patient"}`, ins},
		{"not an INS system", `{"reference": "Patient?identifier=urn:oid:1.2.3|` + ins + `"}`, ins}, // sourcePatientInfo still gives it
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := strings.Replace(string(base), `"subject": {
    "reference": "Patient?identifier=urn:oid:1.2.250.1.213.1.4.10|`+ins+`"
  }`, `"subject": `+tt.subject, 1)
			if in == string(base) && tt.name != "conditional" {
				t.Fatal("the test input was not changed")
			}
			docs, err := Convert([]byte(in), testOptions(t))
			if err != nil {
				t.Fatal(err)
			}
			d := docs[0]
			if d.Patient.INS != tt.wantINS || d.FirstError() != nil {
				t.Errorf("INS = %q, first error %+v; want %q and no error", d.Patient.INS, d.FirstError(), tt.wantINS)
			}
		})
	}
}

// A subject and a sourcePatientInfo that name the same INS but describe
// the patient differently: the document carries an identity-mismatch
// error, whichever trait differs; the same description twice does not.
func TestTwoPatientDescriptionsMustAgree(t *testing.T) {
	base, err := os.ReadFile(filepath.Join("testdata", "iti105-pdf.json"))
	if err != nil {
		t.Fatal(err)
	}
	name := func(family, list string) []any {
		return []any{map[string]any{"use": "official", "family": family, "given": []any{"CAMILLE"}, "extension": []any{map[string]any{
			"url": "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-birth-list-given-name", "valueString": list}}}}
	}
	ins := func(value string) []any {
		return []any{map[string]any{"system": "urn:oid:1.2.250.1.213.1.4.10", "value": value}}
	}
	place := func(code string) []any {
		return []any{map[string]any{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace", "valueAddress": map[string]any{
			"extension": []any{map[string]any{"url": "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code",
				"valueCoding": map[string]any{"system": "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM", "code": code}}}}}}
	}
	tests := []struct {
		name, field string
		value       any
		want        docbridge.Reason
		trait       string // named in the message
	}{
		{"same description", "", nil, "", ""},
		{"same description, written otherwise", "name", name("Docbridge Test", "Camille Marie Anne"), "", ""},
		{"other birth date", "birthDate", "1985-04-18", docbridge.IdentityMismatch, "birthDate"},
		{"other sex", "gender", "male", docbridge.IdentityMismatch, "sex"},
		{"other birth name", "name", name("AUTRE", "CAMILLE MARIE-ANNE"), docbridge.IdentityMismatch, "birthName"},
		{"other first names", "name", name("DOCBRIDGE-TEST", "CAMILLE"), docbridge.IdentityMismatch, "firstNames"},
		{"other INS", "identifier", ins("192036912304577"), docbridge.IdentityMismatch, "ins"},
		{"other birthplace", "extension", place("69123"), docbridge.IdentityMismatch, "birthPlace"},
		{"two official names, the same", "name", append(name("DOCBRIDGE-TEST", "CAMILLE MARIE-ANNE"), name("Docbridge Test", "Camille Marie-Anne")...), "", ""},
		{"two official names that differ", "name", append(name("DOCBRIDGE-TEST", "CAMILLE MARIE-ANNE"), name("AUTRE", "CAMILLE MARIE-ANNE")...),
			docbridge.IdentityMismatch, "birthName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(base, &doc); err != nil {
				t.Fatal(err)
			}
			var other map[string]any
			for _, c := range doc["contained"].([]any) {
				if r := c.(map[string]any); r["resourceType"] == "Patient" {
					b, _ := json.Marshal(r)
					json.Unmarshal(b, &other)
				}
			}
			if other == nil {
				t.Fatal("no contained Patient in the test input")
			}
			other["id"] = "other"
			if tt.field != "" {
				other[tt.field] = tt.value
			}
			doc["contained"] = append(doc["contained"].([]any), other)
			doc["subject"] = map[string]any{"reference": "#other"}
			in, _ := json.Marshal(doc)
			docs, err := Convert(in, testOptions(t))
			if err != nil {
				t.Fatal(err)
			}
			var got docbridge.Reason
			pr := docs[0].Worst()
			if pr != nil {
				got = pr.Code
			}
			if got != tt.want {
				t.Fatalf("worst problem %q (%+v), want %q", got, pr, tt.want)
			}
			if tt.trait != "" && !strings.Contains(pr.Message, "different "+tt.trait+":") {
				t.Errorf("message %q, want it to name %s only", pr.Message, tt.trait)
			}
		})
	}
}
