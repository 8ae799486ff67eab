package convert

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/golden"
)

// TestMeasurementsByProfile: a source's measurements are read only when
// its source profile turns them on, from an HL7 v2 message (the sample)
// and from a CDA document (the ANS newborn certificate, when the corpus is
// present), beside the document itself, which keeps its metadata; no
// document metadata is required of a measurement.
func TestMeasurementsByProfile(t *testing.T) {
	on := docbridge.Profiles{{Name: "clinic", Measurements: true}}
	tests := []struct {
		name, path string
		corpus     bool
		off, onN   int // measurements without and with the profile
		documents  int // non-measurement documents
	}{
		{"hl7v2", filepath.Join("..", "samples", "oru-r01-mesures.hl7"), false, 0, 4, 0},
		{"cda", filepath.Join(golden.Corpus("cda-fr"), "CSE-MDE_2023.01.xml"), true, 0, 3, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := os.ReadFile(tc.path)
			if tc.corpus && err != nil {
				t.Skipf("corpus file %s is not present", tc.path)
			}
			count := func(docs []*docbridge.Document) (ms, ds int) {
				for _, d := range docs {
					if d.Kind == docbridge.KindMeasurement {
						ms++
						for _, p := range d.Problems {
							if p.Severity == docbridge.SeverityError {
								t.Errorf("measurement %s: %s %s", d.Measurement.Profile, p.Code, p.Message)
							}
						}
					} else {
						ds++
					}
				}
				return ms, ds
			}
			if tc.off == 0 && tc.documents == 0 {
				// Off, a message of measurements only carries nothing.
				if _, _, err := New(Options{Mappings: golden.Mappings(t)}).Convert(bytes.NewReader(raw), int64(len(raw)), docbridge.Origin{}); docbridge.ReasonOf(err) != docbridge.UnsupportedFormat {
					t.Errorf("off: err = %v, want unsupported-format", err)
				}
			} else if ms, _ := count(convertWith(t, tc.path, docbridge.Origin{})); ms != tc.off {
				t.Errorf("off: %d measurements, want %d", ms, tc.off)
			}
			ms, ds := count(convertWith(t, tc.path, docbridge.Origin{Profiles: on}))
			if ms != tc.onN || ds != tc.documents {
				t.Errorf("on: %d measurements and %d documents, want %d and %d", ms, ds, tc.onN, tc.documents)
			}
		})
	}
}
