package appt

import (
	"testing"

	"github.com/docbridge/docbridge"
)

// TestCheck checks the R4 invariants and docbridge's rules on an
// appointment's times and status, after Complete.
func TestCheck(t *testing.T) {
	const s, e = "2026-07-19T11:30:00+02:00", "2026-07-19T12:00:00+02:00"
	tests := []struct {
		name    string
		a       docbridge.Appointment
		worst   docbridge.Reason
		end     string
		minutes int
	}{
		{"booked", docbridge.Appointment{Status: "booked", Start: s, End: e}, "", e, 30},
		{"end from the duration", docbridge.Appointment{Status: "booked", Start: s, Minutes: 30}, "", e, 30},
		{"no start", docbridge.Appointment{Status: "booked"}, docbridge.MissingMetadata, "", 0},
		{"cancelled without times", docbridge.Appointment{Status: "cancelled"}, "", "", 0},
		{"start only", docbridge.Appointment{Status: "booked", Start: s}, docbridge.MissingMetadata, "", 0},
		{"end only", docbridge.Appointment{Status: "cancelled", End: e}, docbridge.MissingMetadata, e, 0},
		{"end before start", docbridge.Appointment{Status: "booked", Start: e, End: s}, docbridge.Malformed, s, 0},
		{"duration contradicts", docbridge.Appointment{Status: "booked", Start: s, End: e, Minutes: 45}, docbridge.Malformed, e, 45},
		{"pending", docbridge.Appointment{Status: "pending", Start: s, End: e}, docbridge.NotForAgenda, e, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &docbridge.Document{}
			a := tt.a
			Complete(&a)
			Check(d, &a, "here")
			var worst docbridge.Reason
			if w := d.Worst(); w != nil {
				worst = w.Code
			}
			if worst != tt.worst || a.End != tt.end || a.Minutes != tt.minutes {
				t.Errorf("worst %q, end %q, minutes %d; want %q, %q, %d (%+v)", worst, a.End, a.Minutes, tt.worst, tt.end, tt.minutes, d.Problems)
			}
		})
	}
}

// TestFinish checks the uniqueId of each kind of identifier and that the
// content is what is hashed.
func TestFinish(t *testing.T) {
	for _, tt := range []struct {
		id   docbridge.Identifier
		want string
	}{
		{docbridge.Identifier{System: "urn:oid:1.2.3", Value: "A1"}, "1.2.3^A1"},
		{docbridge.Identifier{System: "urn:ietf:rfc:3986", Value: "urn:uuid:0b7c1d1e-5c2a-5d3f-8a4b-1c2d3e4f5a6b"}, "urn:uuid:0b7c1d1e-5c2a-5d3f-8a4b-1c2d3e4f5a6b"},
		{docbridge.Identifier{System: "http://clinic.example/rdv", Value: "42"}, "http://clinic.example/rdv|42"},
	} {
		d := &docbridge.Document{Action: docbridge.Replace}
		Finish(d, &docbridge.Appointment{ID: tt.id, Status: "booked"})
		if d.UniqueID != tt.want || d.Replaces != tt.want || d.Kind != docbridge.KindAppointment || d.Size != int64(len(d.Content)) {
			t.Errorf("%v: uniqueId %q replaces %q kind %q; want %q naming itself", tt.id, d.UniqueID, d.Replaces, d.Kind, tt.want)
		}
	}
}
