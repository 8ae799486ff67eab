package messim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// The Agenda API of the simulator: FHIR R4 Appointment (the ANS agenda
// IG's GAP profile over FR Core), created by POST (conditionally, with
// If-None-Exist) and updated by a conditional PUT on its identifier. It
// checks what the profile and R4 require and never holds two appointments
// under one identifier.
const (
	gapAppointment   = "https://interop.esante.gouv.fr/ig/fhir/gap/StructureDefinition/gap-fr-appointment"
	mesPatientSystem = "urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2560"
)

// StoredAppointment is what the simulator holds of one appointment (one
// identifier).
type StoredAppointment struct {
	MESID      string
	Patient    string // the MES patient id of its patient participant
	Identifier string // system|value
	Status     string
	Start, End string
	// History is what happened to it, in order: "create <status> <start>"
	// then "update <status> <start>" per update, "resend" for an update
	// that sent the very resource held already.
	History []string
	// Resource is the Appointment last received, as sent.
	Resource []byte
}

// appointmentStatuses is the R4 appointmentstatus value set.
var appointmentStatuses = []string{"proposed", "pending", "booked", "arrived", "fulfilled", "cancelled", "noshow", "entered-in-error", "checked-in", "waitlist"}

// instant is the FHIR instant: seconds and an offset are required.
var instant = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`)

type inAppointment struct {
	ResourceType string `json:"resourceType"`
	Meta         *struct {
		Profile []string `json:"profile"`
	} `json:"meta"`
	Identifier        []identifier        `json:"identifier"`
	Status            string              `json:"status"`
	CancelationReason json.RawMessage     `json:"cancelationReason"`
	Specialty         json.RawMessage     `json:"specialty"`
	Start             string              `json:"start"`
	End               string              `json:"end"`
	MinutesDuration   *int                `json:"minutesDuration"`
	Participant       []inApptParticipant `json:"participant"`
}

type inApptParticipant struct {
	Type  json.RawMessage `json:"type"`
	Actor *struct {
		Reference  string      `json:"reference"`
		Identifier *identifier `json:"identifier"`
		Display    string      `json:"display"`
	} `json:"actor"`
	Status string `json:"status"`
}

// checkAppointment checks an Appointment against the profile and the R4
// invariants app-1 to app-4, and that its patient is the grant's.
func checkAppointment(a *inAppointment, g grant) *problem {
	const ap = "Appointment."
	switch {
	case a.ResourceType != "Appointment":
		return invalid("structure", "resourceType", "the body is not an Appointment")
	case a.Meta == nil || !slices.Contains(a.Meta.Profile, gapAppointment):
		return invalid("required", ap+"meta.profile", "meta.profile must name the GAP Appointment profile")
	case len(a.Identifier) != 1 || a.Identifier[0].System == "" || a.Identifier[0].Value == "":
		return invalid("required", ap+"identifier", "exactly one identifier with a system and a value is required: it is the update key")
	case !slices.Contains(appointmentStatuses, a.Status):
		return invalid("code-invalid", ap+"status", "status is required and must be an R4 appointmentstatus code")
	case len(a.Participant) == 0:
		return invalid("required", ap+"participant", "at least one participant is required")
	case (a.Start == "") != (a.End == ""):
		return invalid("invariant", ap+"start", "app-2: start and end must both be present or both absent")
	case a.Start == "" && !slices.Contains([]string{"proposed", "cancelled", "waitlist"}, a.Status):
		return invalid("invariant", ap+"start", "app-3: only proposed, cancelled or waitlist appointments may have no start and end")
	case a.Start != "" && (!instant.MatchString(a.Start) || !instant.MatchString(a.End)):
		return invalid("value", ap+"start", "start and end must be FHIR instants (seconds and an offset)")
	case len(a.CancelationReason) > 0 && a.Status != "cancelled" && a.Status != "noshow":
		return invalid("invariant", ap+"cancelationReason", "app-4: a cancelation reason only for a cancelled or no-show appointment")
	case len(a.Specialty) > 0:
		return invalid("code-invalid", ap+"specialty", "specialty is bound (required) to fr-core-vs-practitioner-specialty, which the simulator does not load: send none")
	case a.MinutesDuration != nil && *a.MinutesDuration <= 0:
		return invalid("value", ap+"minutesDuration", "minutesDuration must be a positive integer")
	}
	patients := 0
	for i, p := range a.Participant {
		at := fmt.Sprintf("%sparticipant[%d]", ap, i)
		switch {
		case len(p.Type) == 0 && p.Actor == nil:
			return invalid("invariant", at, "app-1: a participant needs a type or an actor")
		case !slices.Contains([]string{"accepted", "declined", "tentative", "needs-action"}, p.Status):
			return invalid("code-invalid", at+".status", "status is required and must be a participationstatus code")
		case p.Actor != nil && p.Actor.Reference != "":
			return invalid("value", at+".actor.reference", "MES takes logical references only (identifier and display)")
		case p.Actor != nil && p.Actor.Identifier != nil && p.Actor.Identifier.System == mesPatientSystem:
			if p.Actor.Identifier.Value != g.mesID {
				return &problem{status: http.StatusForbidden, code: "forbidden", expr: at + ".actor.identifier", diag: "the patient participant is not the patient of the access token"}
			}
			patients++
		}
	}
	if patients != 1 {
		return invalid("required", ap+"participant", "exactly one participant must be the patient, by the MES patient id")
	}
	return nil
}

// readAppointment authorises r and reads and checks its Appointment.
func (s *Server) readAppointment(w http.ResponseWriter, r *http.Request) (grant, *inAppointment, []byte, bool) {
	g, p := s.authorize(r)
	if p != nil {
		s.fail(w, r, p)
		return grant{}, nil, nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.o.MaxBodyBytes))
	if err != nil {
		s.fail(w, r, &problem{status: http.StatusRequestEntityTooLarge, code: "too-costly", diag: "the body is too large"})
		return grant{}, nil, nil, false
	}
	var a inAppointment
	if err := json.Unmarshal(body, &a); err != nil {
		s.fail(w, r, &problem{status: http.StatusBadRequest, code: "structure", diag: "the body is not valid FHIR JSON"})
		return grant{}, nil, nil, false
	}
	if p := checkAppointment(&a, g); p != nil {
		s.fail(w, r, p)
		return grant{}, nil, nil, false
	}
	return g, &a, body, true
}

// createAppointment handles POST /Appointment: 201 and a new appointment;
// with If-None-Exist naming the identifier of one this patient has, 200
// and nothing changes; without it, 409: an identifier is one appointment.
func (s *Server) createAppointment(w http.ResponseWriter, r *http.Request) {
	g, a, body, ok := s.readAppointment(w, r)
	if !ok {
		return
	}
	key := a.Identifier[0].System + "|" + a.Identifier[0].Value
	cond, _ := url.ParseQuery(r.Header.Get("If-None-Exist"))
	s.mu.Lock()
	old := s.appts[key]
	switch {
	case old != nil && old.Patient != g.mesID:
		s.mu.Unlock()
		s.fail(w, r, &problem{status: http.StatusConflict, code: "conflict", expr: "Appointment.identifier", diag: "the identifier is another patient's appointment"})
		return
	case old != nil && cond.Get("identifier") == key:
		out := *old
		s.mu.Unlock()
		s.answerAppointment(w, http.StatusOK, out)
		return
	case old != nil:
		s.mu.Unlock()
		s.fail(w, r, &problem{status: http.StatusConflict, code: "duplicate", expr: "Appointment.identifier", diag: "an appointment has this identifier already: update it with a conditional PUT"})
		return
	}
	rec := &StoredAppointment{MESID: "ap-" + newID()[3:], Patient: g.mesID, Identifier: key}
	s.apply(rec, a, body, "create")
	s.appts[key] = rec
	s.apptOrder = append(s.apptOrder, rec)
	out := *rec
	s.mu.Unlock()
	s.answerAppointment(w, http.StatusCreated, out)
}

// updateAppointment handles PUT /Appointment?identifier=system|value, a
// conditional update: the body's identifier must be the one searched;
// 200 and the appointment this patient has under it is replaced (200 with
// X-MES-Duplicate when it is the very resource held already, a resend), or
// 201 and it is created when there is none (FHIR's conditional update).
func (s *Server) updateAppointment(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("identifier")
	if q == "" || r.URL.Query().Has("_id") {
		s.fail(w, r, &problem{status: http.StatusPreconditionFailed, code: "required", diag: "a conditional update needs the identifier parameter (system|value)"})
		return
	}
	g, a, body, ok := s.readAppointment(w, r)
	if !ok {
		return
	}
	key := a.Identifier[0].System + "|" + a.Identifier[0].Value
	if key != q {
		s.fail(w, r, invalid("value", "Appointment.identifier", "the body's identifier is not the one the update searches for"))
		return
	}
	s.mu.Lock()
	rec, status := s.appts[key], http.StatusOK
	switch {
	case rec != nil && rec.Patient != g.mesID:
		s.mu.Unlock()
		s.fail(w, r, &problem{status: http.StatusConflict, code: "conflict", expr: "Appointment.identifier", diag: "the identifier is another patient's appointment"})
		return
	case rec == nil:
		rec, status = &StoredAppointment{MESID: "ap-" + newID()[3:], Patient: g.mesID, Identifier: key}, http.StatusCreated
		s.appts[key] = rec
		s.apptOrder = append(s.apptOrder, rec)
		s.apply(rec, a, body, "create")
	case bytes.Equal(rec.Resource, body):
		rec.History = append(rec.History, "resend")
		w.Header().Set("X-MES-Duplicate", "true")
	default:
		s.apply(rec, a, body, "update")
	}
	out := *rec
	s.mu.Unlock()
	s.answerAppointment(w, status, out)
}

// apply records a received version a (raw body) in rec. s.mu is held.
func (s *Server) apply(rec *StoredAppointment, a *inAppointment, body []byte, what string) {
	rec.Status, rec.Start, rec.End = a.Status, a.Start, a.End
	rec.Resource = append([]byte(nil), body...)
	rec.History = append(rec.History, strings.TrimSpace(what+" "+a.Status+" "+a.Start))
}

// answerAppointment answers the stored appointment with its id.
func (s *Server) answerAppointment(w http.ResponseWriter, status int, rec StoredAppointment) {
	var m map[string]any
	json.Unmarshal(rec.Resource, &m)
	m["id"] = rec.MESID
	w.Header().Set("Location", "Appointment/"+rec.MESID)
	writeJSON(w, status, m)
}

// searchAppointments handles GET /Appointment[?identifier=system|value]:
// the token's patient's appointments (their agenda), as a searchset
// Bundle of the resources last received, each with its MES id.
func (s *Server) searchAppointments(w http.ResponseWriter, r *http.Request) {
	g, p := s.authorize(r)
	if p != nil {
		s.fail(w, r, p)
		return
	}
	want := r.URL.Query().Get("identifier")
	type entry struct {
		Resource map[string]any `json:"resource"`
		Search   entryMatch     `json:"search"`
	}
	out := struct {
		ResourceType string  `json:"resourceType"`
		Type         string  `json:"type"`
		Total        int     `json:"total"`
		Entry        []entry `json:"entry"`
	}{ResourceType: "Bundle", Type: "searchset", Entry: []entry{}}
	s.mu.Lock()
	for _, a := range s.apptOrder {
		if a.Patient != g.mesID || want != "" && a.Identifier != want {
			continue
		}
		var m map[string]any
		json.Unmarshal(a.Resource, &m)
		m["id"] = a.MESID
		out.Entry = append(out.Entry, entry{Resource: m, Search: entryMatch{Mode: "match"}})
	}
	s.mu.Unlock()
	out.Total = len(out.Entry)
	writeJSON(w, http.StatusOK, out)
}

// Appointments returns a copy of every appointment held, in the order
// they were created: the patient's agenda as the tests read it back.
func (s *Server) Appointments() []StoredAppointment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]StoredAppointment, len(s.apptOrder))
	for i, r := range s.apptOrder {
		out[i] = *r
		out[i].History = slices.Clone(r.History)
		out[i].Resource = slices.Clone(r.Resource)
	}
	return out
}
