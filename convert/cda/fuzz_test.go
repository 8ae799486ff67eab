package cda

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/golden"
)

// FuzzConvert checks Convert never panics, refuses with a classified error
// or returns exactly one document whose content is the input, and whose
// problems use the reason vocabulary.
func FuzzConvert(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(samplesDir, "*.xml"))
	for _, p := range paths {
		f.Add(sample(f, filepath.Base(p)))
	}
	for _, s := range []string{
		"",
		`<ClinicalDocument xmlns="urn:hl7-org:v3"/>`,
		`<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1.2.3" extension="x"/><code code="11502-2" codeSystem="2.16.840.1.113883.6.1"/><effectiveTime value="2021"/></ClinicalDocument>`,
		`<hl7:ClinicalDocument xmlns:hl7="urn:hl7-org:v3"><hl7:recordTarget><hl7:patientRole><hl7:id root="1.2.250.1.213.1.4.10" extension="1"/></hl7:patientRole></hl7:recordTarget></hl7:ClinicalDocument>`,
		billionLaughs(),
		`<?xml version="1.0" encoding="ISO-8859-1"?><ClinicalDocument xmlns="urn:hl7-org:v3"><title>` + "\xe9" + `</title></ClinicalDocument>`,
		`<section xmlns="urn:hl7-org:v3"/>`,
	} {
		f.Add([]byte(s))
	}
	m := golden.Mappings(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		ms, merr := Measurements(raw, docbridge.Patient{}, time.UTC)
		if merr != nil && (ms != nil || !docbridge.ReasonOf(merr).Known() || docbridge.ReasonOf(merr) == docbridge.Internal) {
			t.Fatalf("Measurements: %d measurements with error %v", len(ms), merr)
		}
		for _, d := range ms {
			if d.Measurement == nil || d.Size != int64(len(d.Content)) || !strings.HasPrefix(d.UniqueID, docbridge.MeasurementIDPrefix) {
				t.Fatalf("measurement %+v is inconsistent", d)
			}
		}
		docs, err := Convert(raw, m, time.UTC)
		if err != nil {
			var e *docbridge.Error
			if !errors.As(err, &e) || !e.Reason.Known() {
				t.Fatalf("error %v is not a *docbridge.Error with a known reason", err)
			}
			if docs != nil {
				t.Fatalf("documents returned with an error")
			}
			return
		}
		if len(docs) != 1 {
			t.Fatalf("len(docs) = %d, want 1", len(docs))
		}
		d := docs[0]
		if &d.Content[0] != &raw[0] || d.Size != int64(len(raw)) {
			t.Fatalf("Content is not the input")
		}
		for _, p := range d.Problems {
			if !p.Code.Known() || (p.Severity != docbridge.SeverityError && p.Severity != docbridge.SeverityWarning) || p.Message == "" {
				t.Fatalf("bad problem %+v", p)
			}
		}
		if _, err := json.Marshal(d); err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
	})
}
