package fhir

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
)

// TestReplacedByServerID: a relatesTo target naming a DocumentReference
// outside the Bundle by the id the server gave it is a replacement whose
// original the pipeline resolves (ReplacesServerID), not a creation with
// missing-metadata; other references still are.
func TestReplacedByServerID(t *testing.T) {
	raw, err := os.ReadFile("testdata/iti105-pdf.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		target   string
		serverID string
		problem  docbridge.Reason
	}{
		{`{"reference": "DocumentReference/dr-0a1b2c3d4e5f6071"}`, "dr-0a1b2c3d4e5f6071", ""},
		{`{"reference": "https://mes.example/api/v1/DocumentReference/abc.12/_history/3"}`, "abc.12", ""},
		{`{"reference": "Patient/dr-0a1b"}`, "", docbridge.MissingMetadata},
		{`{"reference": "MyDocumentReference/x"}`, "", docbridge.MissingMetadata},
		{`{"reference": "DocumentReference/bad id"}`, "", docbridge.MissingMetadata},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			var dr map[string]any
			if err := json.Unmarshal(raw, &dr); err != nil {
				t.Fatal(err)
			}
			var target any
			json.Unmarshal([]byte(tt.target), &target)
			dr["relatesTo"] = []any{map[string]any{"code": "replaces", "target": target}}
			in, _ := json.Marshal(dr)
			docs, err := Convert(in, testOptions(t))
			if err != nil || len(docs) != 1 {
				t.Fatalf("Convert: %d documents, %v", len(docs), err)
			}
			d := docs[0]
			if got, want := d.ReplacesServerID, tt.serverID; got != want {
				t.Errorf("ReplacesServerID = %q, want %q", got, want)
			}
			if d.Action != docbridge.Replace && tt.serverID != "" || d.Replaces != "" {
				t.Errorf("action %s replacing %q, want a replacement by server id", d.Action, d.Replaces)
			}
			var found docbridge.Reason
			for _, p := range d.Problems {
				if p.Severity == docbridge.SeverityError && strings.Contains(p.Message, "relatesTo") {
					found = p.Code
				}
			}
			if found != tt.problem {
				t.Errorf("relatesTo problem %q, want %q (%+v)", found, tt.problem, d.Problems)
			}
		})
	}
}
