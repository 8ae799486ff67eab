package hl7v2

import (
	"strconv"
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/appt"
	"github.com/docbridge/docbridge/convert/internal/ident"
	"github.com/docbridge/docbridge/hl7"
)

// idNatPSOID is the assigning authority of a health professional's
// national id (IdNat_PS) in an XCN (AIP-3.9.2).
const idNatPSOID = "1.2.250.1.71.4.2.1"

// appointment converts an SIU message (its event checked by checkSIU) into
// one KindAppointment document, mapping SCH, TQ1, NTE, PID, AIS, AIL and
// AIP (the README's MES Agenda section): the identifier from SCH-2
// (else SCH-1), the times from SCH-11 (else TQ1-7/8, else AIS-4 and
// AIS-7), the duration from SCH-9/10, the status from the event and
// SCH-25 (else AIS-10), the service from AIS-3, the place from AIL-3, the
// practitioner from AIP-3, the cancellation reason from SCH-6, the comment
// from NTE-3 and the event time from MSH-7. A message without SCH or
// without an appointment identifier is refused (Malformed); a status that
// contradicts the event is Malformed; what is missing or contradictory in
// the appointment is a problem on the document (appt.Check).
func (c *conv) appointment() ([]*docbridge.Document, error) {
	sch, ok := c.msg.Segment("SCH")
	if !ok {
		return nil, errorAt(docbridge.Malformed, "SCH", "the %s has no SCH segment: it describes no appointment", clip(c.h.Type(), 24))
	}
	ev := siuEvents[c.event]
	d := &docbridge.Document{Action: ev.action}
	a := &docbridge.Appointment{Event: "SIU^" + c.event}
	id, err := c.appointmentID(sch)
	if err != nil {
		return nil, err
	}
	a.ID = id
	if err := c.status(sch, a, ev.status); err != nil {
		return nil, err
	}
	ais, hasAIS := c.msg.Segment("AIS")
	c.times(sch, ais, hasAIS, d, a)
	if hasAIS {
		a.Service = docbridge.Coding{Code: ais.Field(3).Comp(1).Text(), Display: ais.Field(3).Comp(2).Text()}
		if sys := ais.Field(3).Comp(3).Text(); ident.IsOID(sys) {
			a.Service.System = "urn:oid:" + sys
		}
	}
	a.TypeCode = sch.Field(8).Comp(1).Text()
	a.Description = firstOf(a.Service.Display, sch.Field(7).Comp(2).Text(), sch.Field(8).Comp(2).Text())
	if a.Status == docbridge.AppointmentCancelled || a.Status == docbridge.AppointmentNoShow {
		a.CancelReason = firstOf(sch.Field(6).Comp(2).Text(), sch.Field(6).Comp(1).Text())
	}
	a.Practitioner = practitioner(c.msg)
	a.Place, a.Establishment = place(c.msg)
	var notes []string
	for _, nte := range c.msg.All("NTE") {
		if t := nte.Field(3).Text(); t != "" {
			notes = append(notes, t)
		}
	}
	a.Comment = strings.Join(notes, "\n")
	if t, err := parseDTM(c.h.Time, c.loc); err == nil && !t.Date {
		a.EventTime = t.Value
	} else {
		d.AddProblem(docbridge.MissingMetadata, docbridge.SeverityWarning,
			"MSH-7: the message has no valid time: its versions of the appointment are ordered by arrival")
	}
	d.Patient = patient(c.msg, d.AddProblem)
	appt.Complete(a)
	appt.Check(d, a, "SCH-11, TQ1-7/8 or AIS-4/7")
	appt.Finish(d, a)
	return []*docbridge.Document{d}, nil
}

// appointmentID reads the appointment's identifier: SCH-2 (the filler's,
// the scheduling system's own) else SCH-1 (the placer's). An EI whose
// universal id (EI.3) is an OID is that OID's; one without is made global
// by a name-based urn:uuid over the sending facility, the namespace and
// the id, so that every message about the appointment names it alike.
func (c *conv) appointmentID(sch hl7.Segment) (docbridge.Identifier, error) {
	for _, f := range []int{2, 1} {
		v := sch.Field(f)
		id := v.Comp(1).Text()
		if id == "" {
			continue
		}
		if root := v.Comp(3).Text(); ident.IsOID(root) {
			return docbridge.Identifier{System: "urn:oid:" + root, Value: id}, nil
		}
		local := "SCH|" + v.Comp(2).Text() + "|" + id
		return docbridge.Identifier{System: "urn:ietf:rfc:3986", Value: derivedID(c.h.SendingFacility.Comp(1).Text(), local)}, nil
	}
	return docbridge.Identifier{}, errorAt(docbridge.Malformed, "SCH-2",
		"SCH-2 (filler appointment id) and SCH-1 (placer appointment id) are both empty: the appointment cannot be identified, so no later message could update it")
}

// status sets a's status: the event's own (cancel, delete, no-show), else
// SCH-25 (else AIS-10) through table 0278, else booked. A filler status
// that contradicts a cancelling event, or that table 0278 does not know,
// refuses the message (Malformed).
func (c *conv) status(sch hl7.Segment, a *docbridge.Appointment, forced string) error {
	code, at := sch.Field(25).Comp(1).Text(), ref("SCH", 1, 25, 0)
	if ais, ok := c.msg.Segment("AIS"); ok && code == "" {
		code, at = ais.Field(10).Comp(1).Text(), ref("AIS", 1, 10, 0)
	}
	mapped, known := fillerStatus[strings.ToUpper(code)]
	switch {
	case forced != "" && code != "" && known && mapped != forced && !(forced == docbridge.AppointmentEnteredError && mapped == docbridge.AppointmentCancelled):
		return errorAt(docbridge.Malformed, at, "the filler status %s contradicts the event SIU^%s (%s)", clip(code, 16), c.event, siuEvents[c.event].name)
	case forced != "":
		a.Status = forced
	case code == "":
		a.Status = docbridge.AppointmentBooked
	case !known:
		return errorAt(docbridge.Malformed, at, "the filler status %q is not a code of HL7 table 0278 (Booked, Pending, Cancelled, Deleted, Noshow, …)", clip(code, 16))
	default:
		a.Status = mapped
	}
	return nil
}

// times reads the start, end and duration: SCH-11 (TQ: .4 start, .5 end),
// else TQ1-7/TQ1-8, else AIS-4; the duration from SCH-9 with its units
// SCH-10, else AIS-7/AIS-8. A time without offset is read in the
// configured zone; one that is not a date and time is a problem.
func (c *conv) times(sch, ais hl7.Segment, hasAIS bool, d *docbridge.Document, a *docbridge.Appointment) {
	type src struct {
		v  hl7.Value
		at string
	}
	starts := []src{{sch.Field(11).Comp(4), "SCH-11.4"}}
	ends := []src{{sch.Field(11).Comp(5), "SCH-11.5"}}
	if tq1, ok := c.msg.Segment("TQ1"); ok {
		starts = append(starts, src{tq1.Field(7).Comp(1), "TQ1-7"})
		ends = append(ends, src{tq1.Field(8).Comp(1), "TQ1-8"})
	}
	if hasAIS {
		starts = append(starts, src{ais.Field(4).Comp(1), "AIS-4"})
	}
	read := func(list []src) string {
		for _, s := range list {
			if s.v.IsEmpty() {
				continue
			}
			t, err := parseDTM(s.v.Text(), c.loc)
			if err != nil || t.Date {
				d.AddProblem(docbridge.Malformed, docbridge.SeverityError, "%s: not a date and time of day (YYYYMMDDHHMM[SS][±ZZZZ])", s.at)
				return ""
			}
			return t.Value
		}
		return ""
	}
	a.Start, a.End = read(starts), read(ends)
	a.Minutes = minutes(sch.Field(9), sch.Field(10))
	if a.Minutes == 0 && hasAIS {
		a.Minutes = minutes(ais.Field(7), ais.Field(8))
	}
}

// minutes reads a duration and its units (CE: min/MIN/M, h/HR/H, s/S)
// as minutes; 0 when absent or not a whole number of minutes.
func minutes(n, units hl7.Value) int {
	v, err := strconv.Atoi(n.Text())
	if err != nil || v <= 0 {
		return 0
	}
	switch strings.ToLower(units.Comp(1).Text()) {
	case "", "min", "m", "minute", "minutes":
		return v
	case "h", "hr", "hour", "hours":
		return v * 60
	case "s", "sec":
		if v%60 == 0 {
			return v / 60
		}
	}
	return 0
}

// practitioner reads AIP-3 (XCN): the IdNat_PS when its assigning
// authority (XCN.9.2) is the IdNat_PS OID, and the display name from the
// prefix (XCN.6), given name (XCN.3) and family name (XCN.2.1).
func practitioner(msg *hl7.Message) *docbridge.Author {
	aip, ok := msg.Segment("AIP")
	if !ok {
		return nil
	}
	x := aip.Field(3)
	name := strings.Join(strings.Fields(x.Comp(6).Text()+" "+x.Comp(3).Text()+" "+x.Comp(2).Sub(1).Text()), " ")
	p := &docbridge.Author{Name: name}
	if x.Comp(9).Sub(2).Text() == idNatPSOID && x.Comp(1).Text() != "" {
		p.ID, p.System = x.Comp(1).Text(), "urn:oid:"+idNatPSOID
	}
	if p.Name == "" && p.ID == "" {
		return nil
	}
	return p
}

// place reads AIL-3 (PL): the place as the patient reads it (the location
// description PL.9, else point of care, building, floor and room) and the
// establishment (the facility PL.4: its name, and its FINESS when the
// universal id is the FINESS OID).
func place(msg *hl7.Message) (string, *docbridge.Establishment) {
	ail, ok := msg.Segment("AIL")
	if !ok {
		return "", nil
	}
	pl := ail.Field(3)
	where := pl.Comp(9).Text()
	if where == "" {
		var parts []string
		for _, i := range []int{1, 7, 8, 2} {
			if t := pl.Comp(i).Text(); t != "" {
				parts = append(parts, t)
			}
		}
		where = strings.Join(parts, ", ")
	}
	var est *docbridge.Establishment
	if name := pl.Comp(4).Sub(1).Text(); name != "" {
		est = &docbridge.Establishment{Name: name}
		if id := pl.Comp(4).Sub(2).Text(); ident.Digits(id) {
			est.ID = "1.2.250.1.71.4.2.2^" + id
		}
	}
	return where, est
}

// firstOf returns the first non-empty string.
func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
