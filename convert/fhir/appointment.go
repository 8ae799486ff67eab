package fhir

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	fm "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/appt"
)

// rawAppointment is what samply's model gets wrong in an Appointment: the
// coded status and participant statuses (their zero value is a valid code).
type rawAppointment struct {
	Status      string `json:"status"`
	Participant []struct {
		Status string `json:"status"`
	} `json:"participant"`
}

// appointment converts a FHIR R4 Appointment posted to the intake into one
// KindAppointment document: its identifier (the first with a system and a
// value; none refuses the input with MissingMetadata, since no later
// update could name it), status, start, end and duration, the service
// (serviceType), description and comment, the cancellation reason's text,
// the event time (meta.lastUpdated), the patient (the participant whose
// actor is a Patient of the input or names an INS: the identity is read as
// for documents), the practitioner (an actor that is a Practitioner or
// PractitionerRole reference, or names an IdNat_PS) and the place (a
// Location actor's display). Every version is sent as a whole: a later
// Appointment with the same identifier is a new version of it.
func (c *conv) appointment(raw []byte, h head) ([]*docbridge.Document, error) {
	r, err := fm.UnmarshalAppointment(raw)
	if err != nil {
		return nil, malformed("the Appointment", err)
	}
	var rw rawAppointment
	if err := json.Unmarshal(raw, &rw); err != nil {
		return nil, malformed("the Appointment", err)
	}
	a := &docbridge.Appointment{Event: "FHIR", Status: rw.Status}
	for _, id := range r.Identifier {
		if sys, v := str(id.System), str(id.Value); sys != "" && v != "" {
			a.ID = docbridge.Identifier{System: sys, Value: v}
			break
		}
	}
	if a.ID.Value == "" {
		return nil, docbridge.Errorf(docbridge.MissingMetadata,
			"Appointment.identifier: the appointment has no identifier with a system and a value; it is the key by which a later update or cancellation names it, so it is required")
	}
	d := &docbridge.Document{Action: docbridge.Create}
	b := &builder{m: c.m, loc: c.loc, d: d}
	if a.Status == "" {
		b.errorf(docbridge.MissingMetadata, "Appointment.status is required")
	}
	a.Start, a.End = b.instant(r.Start, "Appointment.start"), b.instant(r.End, "Appointment.end")
	if r.MinutesDuration != nil {
		a.Minutes = *r.MinutesDuration
	}
	if len(r.ServiceType) > 0 {
		st := r.ServiceType[0]
		a.Service.Display = str(st.Text)
		if len(st.Coding) > 0 {
			cd := st.Coding[0]
			a.Service.System, a.Service.Code = str(cd.System), str(cd.Code)
			if a.Service.Display == "" {
				a.Service.Display = str(cd.Display)
			}
		}
	}
	a.Description = firstNonEmpty(str(r.Description), a.Service.Display)
	a.Comment = firstNonEmpty(str(r.PatientInstruction), str(r.Comment))
	if r.CancelationReason != nil {
		a.CancelReason = str(r.CancelationReason.Text)
		if a.CancelReason == "" && len(r.CancelationReason.Coding) > 0 {
			a.CancelReason = firstNonEmpty(str(r.CancelationReason.Coding[0].Display), str(r.CancelationReason.Coding[0].Code))
		}
	}
	if r.Meta != nil && r.Meta.LastUpdated != nil {
		a.EventTime = b.instant(r.Meta.LastUpdated, "Appointment.meta.lastUpdated")
	}
	res := (*resolver)(nil).withContained(h.Contained)
	var patient *fm.Reference
	for i, p := range r.Participant {
		if p.Actor == nil {
			continue
		}
		at := fmt.Sprintf("Appointment.participant[%d].actor", i)
		ref, typ := p.Actor, referenceType(p.Actor, res)
		switch {
		case typ == "Patient" || ref.Identifier != nil && isINSSystem(str(ref.Identifier.System)):
			if patient != nil {
				b.errorf(docbridge.IdentityMismatch, "%s: the appointment has two patient participants: docbridge cannot tell whose it is", at)
				continue
			}
			patient = ref
			b.patient(ref, nil, res, at)
		case typ == "Practitioner" || typ == "PractitionerRole" || ref.Identifier != nil && str(ref.Identifier.System) == "urn:oid:1.2.250.1.71.4.2.1":
			pr := &docbridge.Author{Name: str(ref.Display)}
			if ref.Identifier != nil && str(ref.Identifier.System) == "urn:oid:1.2.250.1.71.4.2.1" {
				pr.ID, pr.System = str(ref.Identifier.Value), "urn:oid:1.2.250.1.71.4.2.1"
			}
			if a.Practitioner == nil && (pr.Name != "" || pr.ID != "") {
				a.Practitioner = pr
			}
		case typ == "Location" || typ == "HealthcareService":
			if a.Place == "" {
				a.Place = str(ref.Display)
			}
		}
	}
	if patient == nil {
		b.errorf(docbridge.MissingINS, "Appointment.participant: no participant is the patient (a Patient of the input, or an actor identifier with an INS system): the patient cannot be identified")
	}
	appt.Complete(a)
	appt.Check(d, a, "Appointment.start/end/minutesDuration")
	appt.Finish(d, a)
	return []*docbridge.Document{d}, nil
}

// referenceType is the resource type a reference names: the type of a
// contained resource, or the type in a relative or absolute reference.
func referenceType(ref *fm.Reference, res *resolver) string {
	r := str(ref.Reference)
	if found, ok := res.resolve(r); ok {
		return found.Type
	}
	if ref.Type != nil {
		return *ref.Type
	}
	r, _, _ = strings.Cut(r, "?")
	parts := strings.Split(strings.TrimSuffix(r, "/"), "/")
	if len(parts) >= 2 {
		return parts[len(parts)-2]
	}
	return strings.TrimSuffix(r, "?")
}

// instant reads a FHIR instant (or a dateTime with a time and an offset)
// as RFC 3339; one without is a Malformed problem and "".
func (b *builder) instant(s *string, at string) string {
	if s == nil || *s == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		b.errorf(docbridge.Malformed, "%s: not a date and time with an offset (a FHIR instant)", at)
		return ""
	}
	return t.Format(time.RFC3339)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
