package mes

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	fm "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/docbridge/docbridge"
)

// The MES Agenda API as docbridge speaks it (docs/architecture.md §7):
// FHIR R4 Appointment, GAP profile over FR Core, created by POST and
// updated by a conditional PUT on the appointment's identifier.
const (
	pathAppointment = "/Appointment"
	// ProfileGAPAppointment is the canonical of the ANS agenda IG's
	// Appointment profile, sent in meta.profile.
	ProfileGAPAppointment = "https://interop.esante.gouv.fr/ig/fhir/gap/StructureDefinition/gap-fr-appointment"
	// SystemMESPatient is the identifier system of the patient's MES id
	// (the pairing's MESPatient) in the patient participant: the
	// placeholder the Mesures IG uses for the idPe, MES's own being
	// unpublished.
	SystemMESPatient   = "urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2560"
	systemCancelReason = "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason"
)

// deliverAppointment sends the appointment d carries for the paired
// patient p: a creation is a POST with If-None-Exist on the identifier;
// when MES answers that it holds one already (200: a resend after a lost
// answer, or a version MES got without docbridge knowing), and for a
// replacement, it is a conditional PUT on the identifier, which makes the
// one appointment MES holds this version (or creates it when MES holds
// none), never a second one. Errors are Deliver's.
func (c *Client) deliverAppointment(ctx context.Context, d *docbridge.Document, p docbridge.Pairing) (docbridge.Receipt, error) {
	if d.Appointment == nil {
		return docbridge.Receipt{}, docbridge.Errorf(docbridge.Internal, "appointment %s carries no appointment", d.UniqueID)
	}
	var body bytes.Buffer
	if err := WriteAppointment(&body, d, &p); err != nil {
		return docbridge.Receipt{}, err
	}
	id := d.Appointment.ID
	key := id.System + "|" + id.Value
	base := strings.TrimRight(c.base, "/") + pathAppointment
	if d.Action != docbridge.Replace {
		r, err := c.sendAppointment(ctx, d, p, http.MethodPost, base, key, body.Bytes())
		if err != nil || r.Status != http.StatusOK {
			return r, err
		}
		// MES holds an appointment under this identifier already: this
		// creation's own earlier attempt (its answer lost), or a version
		// MES got without docbridge knowing. The update makes it this
		// version, whichever it was.
	}
	return c.sendAppointment(ctx, d, p, http.MethodPut, base+"?"+url.Values{"identifier": {key}}.Encode(), key, body.Bytes())
}

// sendAppointment sends one request of deliverAppointment and classifies
// MES's answer: a Receipt with the appointment's MES id (from the body or
// the Location) for a 2xx, else Deliver's errors.
func (c *Client) sendAppointment(ctx context.Context, d *docbridge.Document, p docbridge.Pairing, method, u, key string, body []byte) (docbridge.Receipt, error) {
	var header func(http.Header)
	if method == http.MethodPost {
		header = func(h http.Header) { h.Set("If-None-Exist", url.Values{"identifier": {key}}.Encode()) }
	}
	resp, answer, reqID, err := c.sendJSON(ctx, d, p, method, u, body, header)
	switch {
	case resp == nil:
		return docbridge.Receipt{}, err
	case err != nil:
		return answered(resp, reqID), err
	}
	var r struct {
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
	}
	mesID := ""
	if json.Unmarshal(answer, &r) == nil && r.ResourceType == "Appointment" {
		mesID = r.ID
	}
	if loc := resp.Header.Get("Location"); mesID == "" && strings.Contains(loc, "Appointment/") {
		mesID, _, _ = strings.Cut(loc[strings.LastIndex(loc, "Appointment/")+len("Appointment/"):], "/")
	}
	return docbridge.Receipt{MESID: mesID, Status: resp.StatusCode, RequestID: reqID, Duplicate: isDuplicateHeader(resp.Header)}, nil
}

// WriteAppointment writes the FHIR R4 Appointment (GAP profile) of the
// appointment d carries, for the patient of pairing p (its MES id as the
// patient participant's identifier; with no pairing, a placeholder). The
// practitioner is a logical reference (IdNat_PS and name); the place and
// the establishment are an information-only participant shown by name.
// It returns an Internal error when d carries no appointment.
func WriteAppointment(w io.Writer, d *docbridge.Document, p *docbridge.Pairing) error {
	a := d.Appointment
	if a == nil {
		return docbridge.Errorf(docbridge.Internal, "document %s carries no appointment", d.UniqueID)
	}
	var status fm.AppointmentStatus
	if err := status.UnmarshalJSON([]byte(strconv.Quote(a.Status))); err != nil {
		return docbridge.Errorf(docbridge.MESRejected, "appointment %s has the status %q, which FHIR R4 does not know", d.UniqueID, a.Status)
	}
	r := fm.Appointment{
		Meta:       &fm.Meta{Profile: []string{ProfileGAPAppointment}},
		Identifier: []fm.Identifier{{System: ptr(a.ID.System), Value: ptr(a.ID.Value)}},
		Status:     status,
		Start:      nonEmpty(a.Start), End: nonEmpty(a.End),
		Description: nonEmpty(a.Description), Comment: nonEmpty(a.Comment),
	}
	if a.Minutes > 0 {
		r.MinutesDuration = ptr(a.Minutes)
	}
	if a.CancelReason != "" && (a.Status == docbridge.AppointmentCancelled || a.Status == docbridge.AppointmentNoShow) {
		r.CancelationReason = &fm.CodeableConcept{Text: ptr(a.CancelReason)} // app-4
	}
	if s := a.Service; s.Display != "" || s.Code != "" {
		cc := fm.CodeableConcept{Text: nonEmpty(s.Display)}
		if s.System != "" && s.Code != "" {
			cc.Coding = []fm.Coding{{System: ptr(s.System), Code: ptr(s.Code), Display: nonEmpty(s.Display)}}
		}
		r.ServiceType = []fm.CodeableConcept{cc}
	}
	mesPatient := "unpaired"
	if p != nil {
		mesPatient = p.MESPatient
	}
	required, info := fm.ParticipantRequiredRequired, fm.ParticipantRequiredInformationOnly
	r.Participant = []fm.AppointmentParticipant{{
		Actor:    &fm.Reference{Identifier: &fm.Identifier{System: ptr(SystemMESPatient), Value: ptr(mesPatient)}},
		Required: &required, Status: fm.ParticipationStatusAccepted,
	}}
	if pr := a.Practitioner; pr != nil {
		ref := &fm.Reference{Display: nonEmpty(pr.Name)}
		if pr.ID != "" {
			ref.Identifier = &fm.Identifier{System: ptr(oidURI(pr.System)), Value: ptr(pr.ID)}
		}
		r.Participant = append(r.Participant, fm.AppointmentParticipant{Actor: ref, Required: &required, Status: fm.ParticipationStatusAccepted})
	}
	if where := placeText(a); where != "" {
		ref := &fm.Reference{Display: ptr(where)}
		if e := a.Establishment; e != nil && e.ID != "" {
			if root, ext, ok := strings.Cut(e.ID, "^"); ok {
				ref.Identifier = &fm.Identifier{System: ptr("urn:oid:" + root), Value: ptr(ext)}
			}
		}
		r.Participant = append(r.Participant, fm.AppointmentParticipant{Actor: ref, Required: &info, Status: fm.ParticipationStatusAccepted})
	}
	b, err := json.Marshal(r)
	if err != nil {
		return docbridge.Wrap(docbridge.Internal, "encode the appointment", err)
	}
	_, err = w.Write(b)
	return err
}

// placeText is where the appointment takes place, as the patient reads
// it: the place, the establishment's name and its address.
func placeText(a *docbridge.Appointment) string {
	parts := []string{}
	if e := a.Establishment; e != nil {
		parts = append(parts, e.Name)
	}
	parts = append(parts, a.Place)
	if e := a.Establishment; e != nil {
		parts = append(parts, e.Address)
	}
	var out []string
	for _, s := range parts {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, " — ")
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
