package hl7v2

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
)

// mesuresSample is the synthetic ORU^R01 of vital signs and glycaemia.
var mesuresSample = filepath.Join(samplesDir, "oru-r01-mesures.hl7")

func measureOptions(t testing.TB) Options {
	o := testOptions(t)
	o.Measurements = true
	return o
}

// summary is what a test compares of a measurement document.
type summary struct {
	Profile, Value, Unit, Effective, Status string
	Components                              string
	Reason                                  docbridge.Reason
}

func summarise(d *docbridge.Document) summary {
	m := d.Measurement
	s := summary{Profile: m.Profile, Value: m.Value, Unit: m.Unit, Effective: m.Effective, Status: m.Status}
	var comps []string
	for _, c := range m.Components {
		comps = append(comps, c.Code.Code+"="+c.Value+" "+c.Unit)
	}
	s.Components = strings.Join(comps, ",")
	if w := d.Worst(); w != nil {
		s.Reason = w.Code
	}
	return s
}

// TestMeasurementsSample converts the sample: four measurements (weight,
// glucose converted from mmol/L, HbA1c timed by its OBR, one blood
// pressure of two OBX), BMI left out with a warning, each with the
// patient of PID and an id derived from its key.
func TestMeasurementsSample(t *testing.T) {
	raw, err := os.ReadFile(mesuresSample)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := Convert(raw, measureOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []summary
	for _, d := range docs {
		if d.Kind != docbridge.KindMeasurement {
			t.Errorf("document %s has kind %q", d.UniqueID, d.Kind)
		}
		if !strings.HasPrefix(d.UniqueID, docbridge.MeasurementIDPrefix) {
			t.Errorf("UniqueID = %q", d.UniqueID)
		}
		if got, want := d.Patient.INS, "285047505612322"; got != want {
			t.Errorf("Patient.INS = %q, want %q", got, want)
		}
		if !strings.Contains(d.Problems[len(d.Problems)-1].Message, "body mass index") {
			t.Errorf("no BMI warning on %s: %+v", d.Measurement.Profile, d.Problems)
		}
		got = append(got, summarise(d))
	}
	want := []summary{
		{Profile: "body-weight", Value: "71.5", Unit: "kg", Effective: "2025-01-14T09:10:00Z", Status: "final"},
		{Profile: "glucose", Value: "99.09", Unit: "mg/dL", Effective: "2025-01-14T08:00:00Z", Status: "final"},
		{Profile: "hba1c", Value: "6.4", Unit: "%", Effective: "2025-01-14T08:00:00Z", Status: "final"},
		{Profile: "bp", Effective: "2025-01-14T09:12:00Z", Status: "final", Components: "8480-6=128 mm[Hg],8462-4=79 mm[Hg]"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("measurements (-want +got):\n%s", diff)
	}
	// Off (the default), the same message carries nothing docbridge sends.
	if _, err := Convert(raw, testOptions(t)); docbridge.ReasonOf(err) != docbridge.UnsupportedFormat || !strings.Contains(docbridge.MessageOf(err), "turns measurements on") {
		t.Errorf("measurements off: err = %v, want unsupported-format saying how to turn measurements on", err)
	}
}

// TestMeasurementRefusals checks one OBX per case: the reason its document
// stops with, and that the key does not depend on the value or status (a
// correction is another version of the same measurement).
func TestMeasurementRefusals(t *testing.T) {
	const head = "MSH|^~\\&|APP|FAC|D|M|20250114093500||ORU^R01|C1|P|2.5\r" +
		"PID|1||285047505612322^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L||19850417|F|||~^^^^^^BDL^^75056\r"
	weight := func(typ, value, unit, status, when string) string {
		return "OBR|1||ORD1|X|||" + "\rOBX|1|" + typ + "|29463-7^Poids^LN||" + value + "|" + unit + "|||||" + status + "|||" + when + "\r"
	}
	final := summary{Profile: "body-weight", Value: "71.5", Unit: "kg", Effective: "2025-01-14T09:10:00Z", Status: "final"}
	tests := []struct {
		name, obx string
		want      summary
	}{
		{"final", weight("NM", "71.5", "kg", "F", "20250114091000"), final},
		{"comma", weight("NM", "71,5", "kg", "F", "20250114091000"), final},
		{"grams", weight("NM", "71500", "g", "F", "20250114091000"), summary{Profile: "body-weight", Value: "71.5", Unit: "kg", Effective: final.Effective, Status: "final"}},
		{"alias", weight("NM", "71.5", "KG", "F", "20250114091000"), final},
		{"SN equal", weight("SN", "=^71.5", "kg", "F", "20250114091000"), final},
		{"SN comparator", weight("SN", "<^71.5", "kg", "F", "20250114091000"), summary{Profile: "body-weight", Effective: final.Effective, Status: "final", Reason: docbridge.Malformed}},
		{"corrected", weight("NM", "72", "kg", "C", "20250114091000"), summary{Profile: "body-weight", Value: "72", Unit: "kg", Effective: final.Effective, Status: "corrected", Reason: docbridge.MeasurementCorrection}},
		{"retracted", weight("NM", "72", "kg", "W", "20250114091000"), summary{Profile: "body-weight", Value: "72", Unit: "kg", Effective: final.Effective, Status: "entered-in-error", Reason: docbridge.MeasurementCorrection}},
		{"preliminary", weight("NM", "71.5", "kg", "P", "20250114091000"), summary{Profile: "body-weight", Value: "71.5", Unit: "kg", Effective: final.Effective, Status: "preliminary", Reason: docbridge.NotFinal}},
		{"no time", weight("NM", "71.5", "kg", "F", ""), summary{Profile: "body-weight", Value: "71.5", Unit: "kg", Status: "final", Reason: docbridge.MissingMetadata}},
		{"no value", weight("NM", "", "kg", "F", "20250114091000"), summary{Profile: "body-weight", Effective: final.Effective, Status: "final", Reason: docbridge.MissingMetadata}},
		{"unknown unit", weight("NM", "71.5", "stone", "F", "20250114091000"), summary{Profile: "body-weight", Effective: final.Effective, Status: "final", Reason: docbridge.UnitNotConvertible}},
		{"wrong dimension", weight("NM", "71.5", "cm", "F", "20250114091000"), summary{Profile: "body-weight", Effective: final.Effective, Status: "final", Reason: docbridge.UnitNotConvertible}},
		{"out of range", weight("NM", "715", "kg", "F", "20250114091000"), summary{Profile: "body-weight", Value: "715", Unit: "kg", Effective: final.Effective, Status: "final", Reason: docbridge.OutOfRange}},
		{"systolic alone", "OBR|1||ORD1|X|||20250114091000\rOBX|1|NM|8480-6^^LN||120|mm[Hg]|||||F\r", summary{Profile: "bp", Effective: final.Effective, Status: "final", Components: "8480-6=120 mm[Hg]", Reason: docbridge.MissingMetadata}},
		{"pressures swapped", "OBR|1||ORD1|X|||20250114091000\rOBX|1|NM|8480-6^^LN||70|mm[Hg]|||||F\rOBX|2|NM|8462-4^^LN||120|mm[Hg]|||||F\r", summary{Profile: "bp", Effective: final.Effective, Status: "final", Components: "8480-6=70 mm[Hg],8462-4=120 mm[Hg]", Reason: docbridge.OutOfRange}},
	}
	var finalID string
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := Convert([]byte(head+tc.obx), measureOptions(t))
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != 1 {
				t.Fatalf("%d documents, want 1", len(docs))
			}
			if diff := cmp.Diff(tc.want, summarise(docs[0])); diff != "" {
				t.Errorf("(-want +got):\n%s\nproblems: %+v", diff, docs[0].Problems)
			}
			switch tc.name {
			case "final":
				finalID = docs[0].UniqueID
			case "corrected", "comma", "grams":
				if docs[0].UniqueID != finalID {
					t.Errorf("UniqueID %s differs from the final one's %s: the key must not depend on value or status", docs[0].UniqueID, finalID)
				}
			}
		})
	}
}

// TestMeasurementsOfEmbeddedCDA: an ORU^R01 carrying a structured CDA
// gives the report and, with measurements on, the CDA's glucose result
// (5.1 mmol/L → 91.88 mg/dL) with the report's patient.
func TestMeasurementsOfEmbeddedCDA(t *testing.T) {
	cda, err := os.ReadFile(filepath.Join(samplesDir, "cr-bio-structured.xml"))
	if err != nil {
		t.Fatal(err)
	}
	msg := "MSH|^~\\&|LIS|LAB|D|M|20250612093500||ORU^R01|C1|P|2.5\r" +
		"PID|1||285047505612322^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L||19850417|F|||~^^^^^^BDL^^75056\r" +
		"OBR|1|||11502-2^CR^LN\r" +
		"OBX|1|ED|11502-2^CR^LN||^TEXT^XML^Base64^" + base64.StdEncoding.EncodeToString(cda) + "||||||F\r"
	for _, on := range []bool{false, true} {
		o := testOptions(t)
		o.Measurements = on
		docs, err := Convert([]byte(msg), o)
		if err != nil {
			t.Fatal(err)
		}
		want := 1
		if on {
			want = 2
		}
		if len(docs) != want {
			t.Fatalf("measurements %v: %d documents, want %d", on, len(docs), want)
		}
		if !on {
			continue
		}
		m := docs[1]
		if m.Kind != docbridge.KindMeasurement || m.Measurement.Profile != "glucose" || m.Measurement.Value != "91.88" || m.Patient.INS != docs[0].Patient.INS {
			t.Errorf("measurement %+v %+v", m.Measurement, m.Patient)
		}
	}
}
