package fhir

import (
	"encoding/json"
	"testing"
)

// References resolve by FHIR's bundle rules: an absolute URL only to the
// entry of that fullUrl, Type/id only when one entry has it, #id to a
// contained resource.
func TestResolve(t *testing.T) {
	var r resolver
	r.addEntry("urn:uuid:7b1c0f7e-0001", resource{Type: "Patient", Raw: []byte(`"a"`)}, "")
	r.addEntry("https://here.example/fhir/Patient/1", resource{Type: "Patient", Raw: []byte(`"b"`)}, "1")
	r.addEntry("https://here.example/fhir/Practitioner/7", resource{Type: "Practitioner", Raw: []byte(`"c"`)}, "7")
	r.addEntry("https://other.example/fhir/Practitioner/7", resource{Type: "Practitioner", Raw: []byte(`"d"`)}, "7")
	in := r.withContained([]json.RawMessage{json.RawMessage(`{"resourceType": "Patient", "id": "p"}`)})
	tests := []struct {
		ref  string
		want string // Raw of the resolved resource, "" for none
	}{
		{"urn:uuid:7b1c0f7e-0001", `"a"`},
		{"https://here.example/fhir/Patient/1", `"b"`},
		{"Patient/1", `"b"`},
		{"https://elsewhere.example/fhir/Patient/1", ""}, // another server's Patient/1
		{"Practitioner/7", ""},                           // two entries have it
		{"https://other.example/fhir/Practitioner/7", `"d"`},
		{"#p", `{"resourceType": "Patient", "id": "p"}`},
		{"#q", ""},
		{"", ""},
	}
	for _, tt := range tests {
		res, ok := in.resolve(tt.ref)
		if got := string(res.Raw); ok != (tt.want != "") || got != tt.want {
			t.Errorf("resolve(%q) = %s, %t; want %s", tt.ref, got, ok, tt.want)
		}
	}
}
