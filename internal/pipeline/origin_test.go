package pipeline

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
)

// originRecorder is a Converter that records the origins it is
// given.
type originRecorder struct{ got []docbridge.Origin }

func (o *originRecorder) Convert(r io.ReaderAt, size int64, origin docbridge.Origin) (docbridge.Format, []*docbridge.Document, error) {
	o.got = append(o.got, origin)
	raw, err := io.ReadAll(io.NewSectionReader(r, 0, size))
	if err != nil {
		return "", nil, docbridge.Wrap(docbridge.Internal, "read the stored input", err)
	}
	return fakeConvert(raw)
}

// TestOriginCarriesProfiles: every conversion is given the input's intake,
// source and sender, and the configured source profiles.
func TestOriginCarriesProfiles(t *testing.T) {
	f := newFixture(t, nil)
	rec := &originRecorder{}
	f.p.o.Converter = rec
	f.p.o.Profiles = docbridge.Profiles{{Name: "lab", FacilityType: "SA25", When: docbridge.ProfileSelector{Intake: "fhir", Sender: "clinic-a"}}}
	if _, err := f.p.Accept(context.Background(), &docbridge.Envelope{Intake: "fhir", Source: "peer", Sender: "clinic-a", ReceivedAt: f.now,
		Body: strings.NewReader("urn:oid:9.1")}); err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	if len(rec.got) == 0 {
		t.Fatal("the converter was not given an origin")
	}
	o := rec.got[0]
	if o.Intake != "fhir" || o.Sender != "clinic-a" || o.Name != "peer" || len(o.Profiles) != 1 || o.Profiles[0].Name != "lab" {
		t.Errorf("origin = %+v, want intake fhir, sender clinic-a, name peer and the profile lab", o)
	}
}
