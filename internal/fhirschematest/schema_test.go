package fhirschematest

import (
	"strings"
	"sync"
	"testing"
)

var testSchema = sync.OnceValues(func() (*Schema, error) {
	return Load("Bundle", "Binary", "OperationOutcome", "Patient")
})

func TestLoadRefuses(t *testing.T) {
	if _, err := Load(); err == nil {
		t.Error("Load() succeeded; want an error for no type")
	}
	_, err := Load("Patient", "Nope", "Alsonot")
	if err == nil || !strings.Contains(err.Error(), "Alsonot, Nope") {
		t.Errorf("Load(Patient, Nope, Alsonot) = %v; want an error naming the unknown types", err)
	}
}

func TestValidate(t *testing.T) {
	s, err := testSchema()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		in      string
		wantErr []string // fragments of the error; none when valid
	}{
		{"outcome", `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid"}]}`, nil},
		{"patient with contained", `{"resourceType":"Patient","contained":[{"resourceType":"Binary","id":"b","contentType":"text/plain"}],"gender":"female"}`, nil},
		{"bundle", `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient","birthDate":"1970-01-01"}}]}`, nil},
		{"bad severity", `{"resourceType":"OperationOutcome","issue":[{"severity":"bad","code":"invalid"}]}`, []string{"not a valid FHIR R4 OperationOutcome", "/issue/0/severity"}},
		{"bad entry", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient"}},{"resource":{"resourceType":"Patient","birthDate":"yesterday"}}]}`, []string{"entry[1]: not a valid FHIR R4 Patient", "/birthDate"}},
		{"bad contained in entry", `{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Patient","contained":[{"resourceType":"Binary","contentType":5}]}}]}`, []string{"entry[0] contained[0]: not a valid FHIR R4 Binary", "/contentType"}},
		{"bad bundle and entry", `{"resourceType":"Bundle","type":"nope","entry":[{"resource":{"resourceType":"Patient","gender":"x"}}]}`, []string{"entry[0]: not a valid FHIR R4 Patient", "not a valid FHIR R4 Bundle"}},
		{"type not loaded", `{"resourceType":"AuditEvent"}`, []string{`resourceType "AuditEvent" is not one of the types`}},
		{"contained type not loaded", `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner"}]}`, []string{`contained[0]: resourceType "Practitioner"`}},
		{"no resourceType", `{"id":"x"}`, []string{`resourceType ""`}},
		{"array", `[]`, []string{"not a JSON object"}},
		{"not JSON", `{`, []string{"decode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Validate([]byte(tt.in))
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
