package cda

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/golden"
)

// measured is what a test compares of a measurement.
type measured struct {
	Profile, Value, Unit, Effective string
	Components                      int
	Reason                          docbridge.Reason
}

func measuredOf(docs []*docbridge.Document) []measured {
	var out []measured
	for _, d := range docs {
		m := measured{Profile: d.Measurement.Profile, Value: d.Measurement.Value, Unit: d.Measurement.Unit,
			Effective: d.Measurement.Effective, Components: len(d.Measurement.Components)}
		if w := d.Worst(); w != nil {
			m.Reason = w.Code
		}
		out = append(out, m)
	}
	return out
}

// TestMeasurementsCorpus reads the vital signs of ANS examples: the
// newborn certificate's weight in grams, height and head circumference,
// timed by their organizer (their own effectiveTime is NASK); the
// newborn's summary, whose vital signs have no time anywhere
// (missing-metadata); a prescription's weight and height; a lab report
// with nothing a Mesures profile takes.
func TestMeasurementsCorpus(t *testing.T) {
	tests := []struct {
		file string
		want []measured
	}{
		{"CSE-MDE_2023.01.xml", []measured{
			{Profile: "body-weight", Value: "3.9", Unit: "kg", Effective: "2021-02-11"},
			{Profile: "body-height", Value: "52", Unit: "cm", Effective: "2021-02-11"},
			{Profile: "head-circumference", Value: "35", Unit: "cm", Effective: "2021-02-11"},
		}},
		{"SDM-MR_2024.01_nouveau-ne.xml", []measured{
			{Profile: "body-weight", Value: "2.85", Unit: "kg", Reason: docbridge.MissingMetadata},
			{Profile: "body-height", Value: "45", Unit: "cm", Reason: docbridge.MissingMetadata},
			{Profile: "head-circumference", Value: "19", Unit: "cm", Reason: docbridge.MissingMetadata},
		}},
		{"eP-MED-DM_2024.01_PosoStruct.xml", []measured{
			{Profile: "body-weight", Value: "55", Unit: "kg", Effective: "2023-12-01"},
			{Profile: "body-height", Value: "170", Unit: "cm", Effective: "2023-12-01"},
		}},
		{"BIO-CR-BIO_2024.01_TSH_1.xml", nil},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(golden.Corpus("cda-fr"), tc.file)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Skipf("corpus file %s is not present", path)
			}
			docs, err := Measurements(raw, docbridge.Patient{INS: "x"}, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, measuredOf(docs)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, d := range docs {
				if d.Patient.INS != "x" || d.Kind != docbridge.KindMeasurement || !strings.HasPrefix(d.UniqueID, docbridge.MeasurementIDPrefix) {
					t.Errorf("measurement %+v", d)
				}
			}
		})
	}
}

// TestMeasurementsSynthetic: a blood pressure of one organizer, a
// preliminary result, an unknown unit, a BMI left out, a coded result
// ignored, an observation with no time anywhere.
func TestMeasurementsSynthetic(t *testing.T) {
	obs := func(code, status, time, value string) string {
		return `<component><observation classCode="OBS" moodCode="EVN"><templateId root="1.2.250.1.213.1.1.3.50"/>` +
			`<code code="` + code + `" codeSystem="2.16.840.1.113883.6.1"/><statusCode code="` + status + `"/>` + time + value + `</observation></component>`
	}
	at := `<effectiveTime value="20250114091000+0100"/>`
	raw := `<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<id root="1.2.250.1.999.1" extension="D1"/><setId root="1.2.250.1.999.1" extension="S1"/>
<component><structuredBody><component><section><entry>
<organizer classCode="CLUSTER" moodCode="EVN"><effectiveTime value="20250114"/>` +
		obs("8480-6", "completed", at, `<value xsi:type="PQ" value="128" unit="mm[Hg]"/>`) +
		obs("8462-4", "completed", at, `<value xsi:type="PQ" value="79" unit="mmHg"/>`) +
		obs("8867-4", "active", at, `<value xsi:type="PQ" value="72" unit="/min"/>`) +
		obs("8310-5", "completed", at, `<value xsi:type="PQ" value="37" unit="deg"/>`) +
		obs("39156-5", "completed", at, `<value xsi:type="PQ" value="24" unit="kg/m2"/>`) +
		obs("29463-7", "completed", at, `<value xsi:type="CD" code="X" codeSystem="1.2"/>`) +
		`</organizer>` +
		`<organizer classCode="CLUSTER" moodCode="EVN">` + obs("2708-6", "completed", "", `<value xsi:type="PQ" value="98" unit="%"/>`) + `</organizer>` +
		`</entry></section></component></structuredBody></component></ClinicalDocument>`
	docs, err := Measurements([]byte(raw), docbridge.Patient{}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	want := []measured{
		{Profile: "heartrate", Value: "72", Unit: "/min", Effective: "2025-01-14T09:10:00+01:00", Reason: docbridge.NotFinal},
		{Profile: "body-temperature", Effective: "2025-01-14T09:10:00+01:00", Reason: docbridge.UnitNotConvertible},
		{Profile: "oxygen-sat", Value: "98", Unit: "%", Reason: docbridge.MissingMetadata},
		{Profile: "bp", Effective: "2025-01-14T09:10:00+01:00", Components: 2},
	}
	if diff := cmp.Diff(want, measuredOf(docs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
