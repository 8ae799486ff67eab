package hl7v2

import (
	"strings"

	"github.com/docbridge/docbridge"
)

// siuEvents are the SIU trigger events docbridge takes, with what each
// does to the appointment (docs/architecture.md §4): a
// booking creates it, every other event is a new version of it that
// replaces the one before (Action Replace naming its own uniqueId), and
// the cancelling events set the status whatever SCH-25 says, unless it
// contradicts them.
var siuEvents = map[string]struct {
	action docbridge.Action
	status string // "" means from SCH-25 (default booked)
	name   string
}{
	"S12": {docbridge.Create, "", "new booking"},
	"S13": {docbridge.Replace, "", "rescheduling"},
	"S14": {docbridge.Replace, "", "modification"},
	"S15": {docbridge.Replace, docbridge.AppointmentCancelled, "cancellation"},
	"S17": {docbridge.Replace, docbridge.AppointmentEnteredError, "deletion"},
	"S26": {docbridge.Replace, docbridge.AppointmentNoShow, "no-show"},
}

// fillerStatus maps HL7 table 0278 (SCH-25, AIS-10) to the FHIR R4
// appointment status (the v2-to-FHIR concept map; Overbook counts as
// booked and Dc, discontinued, as cancelled). Blocked has no mapping.
var fillerStatus = map[string]string{
	"PENDING": "pending", "WAITLIST": "waitlist", "BOOKED": docbridge.AppointmentBooked,
	"STARTED": "checked-in", "COMPLETE": "fulfilled", "CANCELLED": docbridge.AppointmentCancelled,
	"DELETED": docbridge.AppointmentEnteredError, "NOSHOW": docbridge.AppointmentNoShow,
	"DC": docbridge.AppointmentCancelled, "OVERBOOK": docbridge.AppointmentBooked,
}

// isSIU reports whether the message is an SIU message, which Convert
// reads as an appointment.
func (c *conv) isSIU() bool { return strings.EqualFold(c.h.MessageType, "SIU") }

// checkSIU accepts the SIU events of siuEvents and says what any other is.
func (c *conv) checkSIU() error {
	ev := strings.ToUpper(c.h.TriggerEvent)
	if _, ok := siuEvents[ev]; ok {
		c.event = ev
		return nil
	}
	return docbridge.Errorf(docbridge.UnsupportedFormat,
		"MSH-9.2: %s is not an appointment event docbridge takes (SIU^S12 booking, S13 rescheduling, S14 modification, S15 cancellation, S17 deletion, S26 no-show)",
		clip(c.h.Type(), 24))
}
