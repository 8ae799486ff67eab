package fhir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
)

// TestObservations reads the sample Bundle of Observations: weight, a
// blood pressure of two components, a glucose in mmol/L, each with the
// identity of the Patient entry; the BMI is left out with a warning.
// Without measurements on, an Observation is refused.
func TestObservations(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "samples", "mesures", "observations-bundle.json"))
	if err != nil {
		t.Fatal(err)
	}
	o := testOptions(t)
	o.Measurements = true
	docs, err := Convert(raw, o)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range docs {
		m := d.Measurement
		s := m.Profile + " " + m.Value + " " + m.Unit + " " + m.Effective + " " + m.Status
		for _, c := range m.Components {
			s += " " + c.Code.Code + "=" + c.Value
		}
		if w := d.Worst(); w != nil {
			s += " " + string(w.Code)
		}
		got = append(got, s)
		if d.Patient.INS != "285047505612322" || d.Patient.BirthName != "DOCBRIDGE-TEST" || d.Patient.BirthPlace != "75056" {
			t.Errorf("%s: patient %+v", m.Profile, d.Patient)
		}
		if !strings.Contains(d.Problems[len(d.Problems)-1].Message, "body mass index") {
			t.Errorf("%s: no BMI warning", m.Profile)
		}
	}
	want := []string{
		"body-weight 71.5 kg 2025-01-14T09:10:00+01:00 final",
		"bp   2025-01-14T09:10:00+01:00 final 8480-6=128 8462-4=79",
		"glucose 99.09 mg/dL 2025-01-14T09:10:00+01:00 final",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := Convert(raw, testOptions(t)); docbridge.ReasonOf(err) != docbridge.UnsupportedFormat || !strings.Contains(docbridge.MessageOf(err), "turns measurements on") {
		t.Errorf("measurements off: a Bundle of Observations gave %v, want unsupported-format saying how to turn measurements on", err)
	}
	one := []byte(`{"resourceType":"Observation","status":"preliminary","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},` +
		`"subject":{"identifier":{"system":"urn:oid:1.2.250.1.213.1.4.10","value":"285047505612322"}},"effectiveDateTime":"2025-01-14T09:10:00",` +
		`"valueQuantity":{"value":72,"comparator":"<","unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`)
	docs, err = Convert(one, o)
	if err != nil || len(docs) != 1 {
		t.Fatalf("Convert(one Observation) = %d, %v", len(docs), err)
	}
	var reasons []docbridge.Reason
	for _, p := range docs[0].Problems {
		if p.Severity == docbridge.SeverityError {
			reasons = append(reasons, p.Code)
		}
	}
	if diff := cmp.Diff([]docbridge.Reason{docbridge.NotFinal, docbridge.MissingMetadata, docbridge.Malformed}, reasons[len(reasons)-3:]); diff != "" {
		t.Errorf("reasons (-want +got):\n%s\n%+v", diff, docs[0].Problems)
	}
	if _, err := Convert(one, testOptions(t)); docbridge.ReasonOf(err) != docbridge.UnsupportedFormat {
		t.Errorf("measurements off: %v, want unsupported-format", err)
	}
}
