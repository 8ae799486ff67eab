package pdf

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
)

// TestSidecarProvenance checks that a sidecar's provenance (what a bulk
// run writes for the fields an index row and a profile filled) becomes the
// document's, and that a sidecar without one leaves it empty.
func TestSidecarProvenance(t *testing.T) {
	pdfa := readTestdata(t, "cr-bio.pdf")
	side := string(readTestdata(t, "cr-bio.json"))
	with := strings.Replace(side, `"uniqueId"`, `"provenance": {"patient": "index:12", "facilityType": "profile:cabinet"}, "uniqueId"`, 1)
	for _, tt := range []struct {
		name, sidecar string
		want          map[string]string
	}{
		{"with", with, map[string]string{"patient": "index:12", "facilityType": "profile:cabinet"}},
		{"without", side, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := Convert(bytes.NewReader(pdfa), int64(len(pdfa)), docbridge.Origin{Name: "x.pdf", Sidecar: []byte(tt.sidecar)}, testOptions(t))
			if err != nil || len(docs) != 1 {
				t.Fatalf("Convert = %d documents, %v", len(docs), err)
			}
			if diff := cmp.Diff(tt.want, docs[0].Provenance); diff != "" {
				t.Errorf("Provenance (-want +got):\n%s", diff)
			}
		})
	}
}
