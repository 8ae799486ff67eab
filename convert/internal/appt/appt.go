// Package appt holds what every converter of appointments (HL7 v2 SIU,
// FHIR Appointment) does the same way: the content a KindAppointment
// document carries and hashes, and the checks of an appointment's times
// and status against the FHIR R4 invariants (docs/architecture.md §4).
package appt

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/docbridge/docbridge"
)

// ContentType is the media type of an appointment document's content: the
// JSON of its docbridge.Appointment.
const ContentType = "application/json"

// Finish makes d a KindAppointment document carrying a: its content is
// the JSON of a (what the store keeps, hashes and compares versions by),
// its size and hashes are over it, its title is a's description and its
// creation a's event time.
func Finish(d *docbridge.Document, a *docbridge.Appointment) {
	d.Kind = docbridge.KindAppointment
	d.Appointment = a
	d.UniqueID = uniqueOf(a.ID)
	b, _ := json.Marshal(a) // plain strings and ints: never fails
	sum1, sum256 := sha1.Sum(b), sha256.Sum256(b)
	d.Content, d.Size = b, int64(len(b))
	d.SHA1, d.SHA256 = hex.EncodeToString(sum1[:]), hex.EncodeToString(sum256[:])
	d.ContentType = ContentType
	d.Title = a.Description
	d.Creation = a.EventTime
	if d.Action == docbridge.Replace {
		d.Replaces = d.UniqueID
	}
}

// uniqueOf is the docbridge uniqueId of an appointment identifier:
// "<OID>^<value>" (the XDS form) for an OID system, the value for a URI
// (urn:ietf:rfc:3986: a urn:uuid), else "<system>|<value>".
func uniqueOf(id docbridge.Identifier) string {
	if oid, ok := cutOID(id.System); ok {
		return oid + "^" + id.Value
	}
	if id.System == "urn:ietf:rfc:3986" {
		return id.Value
	}
	return id.System + "|" + id.Value
}

func cutOID(system string) (string, bool) {
	const p = "urn:oid:"
	if len(system) > len(p) && system[:len(p)] == p {
		return system[len(p):], true
	}
	return "", false
}

// untimed are the statuses FHIR R4 lets an appointment have without a
// start and an end (invariant app-3).
var untimed = map[string]bool{"proposed": true, "cancelled": true, "waitlist": true}

// forwarded are the statuses sent to the patient's agenda; the others
// (a request still pending, an arrival, a visit done) are recorded and
// not sent (docbridge.NotForAgenda): a later booking is a newer version.
var forwarded = map[string]bool{
	docbridge.AppointmentBooked: true, docbridge.AppointmentCancelled: true,
	docbridge.AppointmentNoShow: true, docbridge.AppointmentEnteredError: true,
}

// Check adds to d the problems of its appointment a that the R4
// invariants and docbridge's rules make: a start without an end or the
// reverse (app-2), no start for a status that needs one (app-3:
// MissingMetadata), an end before the start or a duration that
// contradicts them (Malformed), a status not sent to the agenda
// (NotForAgenda). where names the source's elements for messages
// ("SCH-11 or TQ1-7", "Appointment.start").
func Check(d *docbridge.Document, a *docbridge.Appointment, where string) {
	switch {
	case a.Start == "" && a.End != "":
		d.AddProblem(docbridge.MissingMetadata, docbridge.SeverityError,
			"%s: the appointment has an end but no start; the source must give its start time", where)
	case a.Start == "" && !untimed[a.Status]:
		d.AddProblem(docbridge.MissingMetadata, docbridge.SeverityError,
			"%s: the appointment (status %s) has no start time; an appointment on the agenda needs one: the source must give it", where, a.Status)
	case a.Start != "" && a.End == "":
		d.AddProblem(docbridge.MissingMetadata, docbridge.SeverityError,
			"%s: the appointment has a start but neither an end nor a duration; the source must give one of them", where)
	case a.Start != "":
		s, err1 := time.Parse(time.RFC3339, a.Start)
		e, err2 := time.Parse(time.RFC3339, a.End)
		switch {
		case err1 != nil || err2 != nil:
			d.AddProblem(docbridge.Malformed, docbridge.SeverityError, "%s: the start or end is not a date and time with an offset", where)
		case !e.After(s):
			d.AddProblem(docbridge.Malformed, docbridge.SeverityError,
				"%s: the appointment ends before it starts (or when it starts): the source's times contradict each other", where)
		case a.Minutes > 0 && int(e.Sub(s).Minutes()) != a.Minutes:
			d.AddProblem(docbridge.Malformed, docbridge.SeverityError,
				"%s: the duration (%d minutes) contradicts the start and end (%d minutes apart)", where, a.Minutes, int(e.Sub(s).Minutes()))
		}
	}
	if !forwarded[a.Status] && a.Status != "" {
		d.AddProblem(docbridge.NotForAgenda, docbridge.SeverityError,
			"the appointment's status is %s: docbridge sends booked, cancelled, no-show and entered-in-error appointments to the agenda; a later message that books it will be sent", a.Status)
	}
}

// Complete fills a's end from its start and duration, or its duration
// from its start and end, when one is missing.
func Complete(a *docbridge.Appointment) {
	s, err := time.Parse(time.RFC3339, a.Start)
	if err != nil {
		return
	}
	switch e, err := time.Parse(time.RFC3339, a.End); {
	case a.End == "" && a.Minutes > 0:
		a.End = s.Add(time.Duration(a.Minutes) * time.Minute).Format(time.RFC3339)
	case err == nil && a.Minutes == 0 && e.After(s):
		a.Minutes = int(e.Sub(s).Minutes())
	}
}
