package hl7v2

import (
	"os"
	"testing"

	"github.com/docbridge/docbridge"
)

// TestAppointmentMapping checks the SIU field map on the synthetic
// messages of testdata: event → action and status, the identifier, times
// with their zone, duration, service, practitioner, place, the reason of
// a cancellation, and the refusals for what is missing or contradictory.
func TestAppointmentMapping(t *testing.T) {
	tests := []struct {
		file                      string
		refused                   docbridge.Reason // the whole message
		worst                     docbridge.Reason // the document's deciding problem
		action                    docbridge.Action
		status, start, end, place string
		minutes                   int
	}{
		{file: "siu-s12-booked.hl7", action: docbridge.Create, status: "booked",
			start: "2026-07-19T11:30:00+02:00", end: "2026-07-19T12:00:00+02:00", minutes: 30, place: "Consultations externes, bâtiment B"},
		// No offset: read in the test zone (UTC).
		{file: "siu-s13-rescheduled.hl7", action: docbridge.Replace, status: "booked",
			start: "2026-07-20T14:30:00Z", end: "2026-07-20T15:00:00Z", minutes: 30, place: "Consultations externes, bâtiment B"},
		{file: "siu-s15-cancelled.hl7", action: docbridge.Replace, status: "cancelled",
			start: "2026-07-20T14:30:00Z", end: "2026-07-20T15:00:00Z", minutes: 30, place: "Consultations externes, bâtiment B"},
		{file: "refused-siu-no-id.hl7", refused: docbridge.Malformed},
		{file: "refused-siu-s15-booked.hl7", refused: docbridge.Malformed},
		{file: "review-siu-no-start.hl7", worst: docbridge.MissingMetadata, action: docbridge.Create, status: "booked", place: "Consultations externes, bâtiment B"},
		{file: "malformed-siu-end-before-start.hl7", worst: docbridge.Malformed, action: docbridge.Replace, status: "booked",
			start: "2026-07-20T14:30:00Z", end: "2026-07-20T14:00:00Z", minutes: 30, place: "Consultations externes, bâtiment B"},
		{file: "siu-pending.hl7", worst: docbridge.NotForAgenda, action: docbridge.Create, status: "pending",
			start: "2026-07-20T14:30:00Z", end: "2026-07-20T15:00:00Z", minutes: 30, place: "Consultations externes, bâtiment B"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			docs, err := Convert(raw, testOptions(t))
			if got := docbridge.ReasonOf(err); got != tt.refused {
				t.Fatalf("refusal = %q (%v), want %q", got, err, tt.refused)
			}
			if err != nil {
				return
			}
			if len(docs) != 1 {
				t.Fatalf("%d documents, want 1", len(docs))
			}
			d := docs[0]
			var worst docbridge.Reason
			if w := d.Worst(); w != nil {
				worst = w.Code
			}
			if worst != tt.worst {
				t.Errorf("worst problem = %q, want %q (%+v)", worst, tt.worst, d.Problems)
			}
			a := d.Appointment
			if d.Kind != docbridge.KindAppointment || a == nil {
				t.Fatalf("kind %q, appointment %v", d.Kind, a)
			}
			if got, want := d.UniqueID, "1.2.250.1.999.1.2.3^F100045"; got != want && tt.file != "review-siu-no-start.hl7" {
				t.Errorf("UniqueID = %q, want %q", got, want)
			}
			if d.Action != tt.action || (d.Action == docbridge.Replace && d.Replaces != d.UniqueID) {
				t.Errorf("action %q replaces %q, want %q naming its own id", d.Action, d.Replaces, tt.action)
			}
			for _, c := range []struct{ name, got, want string }{
				{"status", a.Status, tt.status}, {"start", a.Start, tt.start}, {"end", a.End, tt.end}, {"place", a.Place, tt.place},
			} {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
				}
			}
			if a.Minutes != tt.minutes {
				t.Errorf("minutes = %d, want %d", a.Minutes, tt.minutes)
			}
			if d.Patient.INS != "285047505612322" || d.Patient.BirthPlace != "75056" {
				t.Errorf("patient not read from PID: %+v", d.Patient)
			}
			if a.Practitioner == nil || a.Practitioner.ID != "810000000000" || a.Practitioner.Name != "Dr JEAN CAREFUL" {
				t.Errorf("practitioner = %+v", a.Practitioner)
			}
			if tt.status == "cancelled" && a.CancelReason != "Annulé par le patient" {
				t.Errorf("cancel reason = %q", a.CancelReason)
			}
			if d.Size != int64(len(d.Content)) || d.SHA256 == "" {
				t.Errorf("content %d bytes, size %d", len(d.Content), d.Size)
			}
		})
	}
}
