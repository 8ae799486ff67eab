package convert

import (
	"bytes"
	"os"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/golden"
)

// TestAgendaProfile checks the agenda part of a source profile on an SIU
// booking: off by default (refused, unsupported-format), on for listed
// types only (others not-for-agenda, recorded and never sent), and the
// establishment filled where the message says nothing, named in
// provenance, with the content hashed again.
func TestAgendaProfile(t *testing.T) {
	raw, err := os.ReadFile("hl7v2/testdata/siu-s12-booked.hl7")
	if err != nil {
		t.Fatal(err)
	}
	est := &docbridge.Establishment{Name: "Autre nom", Address: "1 rue de la Paix, 75002 Paris"}
	tests := []struct {
		name    string
		profile *docbridge.Profile
		worst   docbridge.Reason
		address string
	}{
		{"no profile", nil, docbridge.UnsupportedFormat, ""},
		{"agenda off", &docbridge.Profile{Name: "clinic"}, docbridge.UnsupportedFormat, ""},
		{"all types", &docbridge.Profile{Name: "clinic", Agenda: &docbridge.ProfileAgenda{Enabled: true, Establishment: est}}, "", est.Address},
		{"listed service", &docbridge.Profile{Name: "clinic", Agenda: &docbridge.ProfileAgenda{Enabled: true, Types: []string{"CS-CARDIO"}}}, "", ""},
		{"listed type", &docbridge.Profile{Name: "clinic", Agenda: &docbridge.ProfileAgenda{Enabled: true, Types: []string{"NORMAL"}}}, "", ""},
		{"other types", &docbridge.Profile{Name: "clinic", Agenda: &docbridge.ProfileAgenda{Enabled: true, Types: []string{"IRM"}}}, docbridge.NotForAgenda, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps docbridge.Profiles
			if tt.profile != nil {
				ps = docbridge.Profiles{*tt.profile}
			}
			_, docs, err := New(Options{Mappings: golden.Mappings(t)}).Convert(bytes.NewReader(raw), int64(len(raw)), docbridge.Origin{Profiles: ps})
			if err != nil || len(docs) != 1 {
				t.Fatalf("Convert: %d documents, %v", len(docs), err)
			}
			d := docs[0]
			var worst docbridge.Reason
			if w := d.Worst(); w != nil {
				worst = w.Code
			}
			if worst != tt.worst {
				t.Errorf("worst = %q, want %q (%+v)", worst, tt.worst, d.Problems)
			}
			e := d.Appointment.Establishment
			if got, want := e.Name, "Clinique DB"; got != want {
				t.Errorf("establishment name = %q, want the message's %q (a profile never overrides)", got, want)
			}
			if e.Address != tt.address {
				t.Errorf("address = %q, want %q", e.Address, tt.address)
			}
			if got := d.Provenance[fieldEstablishment]; (got != "") != (tt.address != "") {
				t.Errorf("provenance of the establishment = %q", got)
			}
			if tt.address != "" && !bytes.Contains(d.Content, []byte(tt.address)) {
				t.Error("the content was not computed again over the filled establishment")
			}
		})
	}
}
