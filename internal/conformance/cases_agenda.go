package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/docbridge/docbridge"
)

// agendaCases are the Agenda API's cases: one appointment of the test
// patient's created, sent again, rescheduled and cancelled — always the
// one appointment MES holds under its identifier — and a refused one.
func agendaCases() []Case {
	return []Case{{
		ID: "agenda.create", API: APIAgenda,
		Title:    "Création d'un rendez-vous",
		Expected: "MES accepte le rendez-vous (HTTP 2xx) et lui donne un identifiant.",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if err := s.pair(ctx); err != nil {
				return "", err
			}
			d := testAppointment(s.pairing, s.now(), randomHex(12), docbridge.Create, docbridge.AppointmentBooked, 48*time.Hour)
			r, err := s.deliver(ctx, d)
			if err != nil {
				return "", err
			}
			if r.MESID == "" {
				return "", fmt.Errorf("HTTP %d sans identifiant MES", r.Status)
			}
			s.appointment, s.appointmentID = d, r.MESID
			return fmt.Sprintf("Rendez-vous créé : HTTP %d, identifiant MES %s.", r.Status, r.MESID), nil
		},
	}, {
		ID: "agenda.resend", API: APIAgenda,
		Title:    "Renvoi à l'identique (idempotence)",
		Expected: "Le même rendez-vous renvoyé met à jour celui que MES détient (HTTP 2xx, même identifiant MES) ; MES n'en crée pas de second.",
		Run: func(ctx context.Context, s *Session) (string, error) {
			return s.updateAppointment(ctx, func(d *docbridge.Document) {})
		},
	}, {
		ID: "agenda.reschedule", API: APIAgenda,
		Title:    "Report du rendez-vous (mise à jour conditionnelle)",
		Expected: "Le rendez-vous déplacé d'un jour met à jour celui que MES détient (HTTP 2xx, même identifiant MES).",
		Run: func(ctx context.Context, s *Session) (string, error) {
			return s.updateAppointment(ctx, func(d *docbridge.Document) {
				moved := testAppointment(s.pairing, s.now(), d.Appointment.ID.Value, docbridge.Replace, docbridge.AppointmentBooked, 72*time.Hour)
				d.Appointment.Start, d.Appointment.End = moved.Appointment.Start, moved.Appointment.End
			})
		},
	}, {
		ID: "agenda.cancel", API: APIAgenda,
		Title:    "Annulation du rendez-vous",
		Expected: "Le rendez-vous annulé met à jour celui que MES détient, au statut cancelled (HTTP 2xx, même identifiant MES).",
		Run: func(ctx context.Context, s *Session) (string, error) {
			return s.updateAppointment(ctx, func(d *docbridge.Document) {
				d.Appointment.Status, d.Appointment.CancelReason = docbridge.AppointmentCancelled, "Annulé par le patient"
			})
		},
	}, {
		ID: "agenda.error-422", API: APIAgenda,
		Title:    "Erreur 422 : rendez-vous incohérent",
		Expected: "Un rendez-vous confirmé sans date de début ni de fin (invariant app-3 de FHIR R4) est refusé (HTTP 422 ou 400).",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if err := s.pair(ctx); err != nil {
				return "", err
			}
			d := testAppointment(s.pairing, s.now(), randomHex(12), docbridge.Create, docbridge.AppointmentBooked, 48*time.Hour)
			d.Appointment.Start, d.Appointment.End, d.Appointment.Minutes = "", "", 0
			r, err := s.deliver(ctx, d)
			return refusal(r.Status, err, docbridge.MESRejected, http.StatusUnprocessableEntity, http.StatusBadRequest)
		},
	}}
}

// updateAppointment sends a new version of the appointment agenda.create
// made, changed by change, and wants MES to update the one it holds.
func (s *Session) updateAppointment(ctx context.Context, change func(d *docbridge.Document)) (string, error) {
	if s.appointment == nil {
		return "", errors.New("dépend de agenda.create, qui n'a pas réussi")
	}
	a := *s.appointment.Appointment
	d := *s.appointment
	d.Action, d.Appointment = docbridge.Replace, &a
	a.EventTime = s.now().Format(time.RFC3339)
	change(&d)
	r, err := s.deliver(ctx, &d)
	if err != nil {
		return "", err
	}
	if r.MESID != "" && r.MESID != s.appointmentID {
		return fmt.Sprintf("HTTP %d, identifiant MES %s", r.Status, r.MESID),
			fmt.Errorf("MES a répondu par un autre rendez-vous (%s) que celui créé (%s)", r.MESID, s.appointmentID)
	}
	s.appointment = &d
	return fmt.Sprintf("Rendez-vous mis à jour : HTTP %d, statut %s.", r.Status, a.Status), nil
}

// testAppointment returns an appointment of the paired test patient's, in
// ahead from now, under the test identifier id: a consultation with a
// test practitioner in a test establishment.
func testAppointment(p docbridge.Pairing, now time.Time, id string, action docbridge.Action, status string, ahead time.Duration) *docbridge.Document {
	start := now.In(paris).Truncate(time.Hour).Add(ahead)
	const system = "urn:oid:1.2.250.1.213.1.1.9.99"
	return &docbridge.Document{
		Kind:     docbridge.KindAppointment,
		UniqueID: "1.2.250.1.213.1.1.9.99^" + id,
		Action:   action,
		Title:    "Rendez-vous de test de référencement (docbridge)",
		Patient:  p.Patient,
		Appointment: &docbridge.Appointment{
			ID:           docbridge.Identifier{System: system, Value: id},
			Event:        "conformance",
			Status:       status,
			Start:        start.Format(time.RFC3339),
			End:          start.Add(30 * time.Minute).Format(time.RFC3339),
			Minutes:      30,
			Service:      docbridge.Coding{Code: "CONSULT", Display: "Consultation de test"},
			Description:  "Rendez-vous de test de référencement (docbridge)",
			Practitioner: &docbridge.Author{ID: "810000000001", System: "urn:oid:1.2.250.1.71.4.2.1", Name: "Dr Praticien Test"},
			Place:        "Salle de test",
			Establishment: &docbridge.Establishment{Name: "Centre de test docbridge", Address: "1 rue du Test, 75000 Paris",
				ID: "1.2.250.1.71.4.2.2^1120459876"},
			EventTime: now.Format(time.RFC3339),
		},
	}
}
