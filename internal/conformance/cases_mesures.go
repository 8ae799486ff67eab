package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/docbridge/docbridge"
)

// measurementCases are the Mesures API's cases: a weight published, sent
// again (MES recognises its identifier), a blood pressure with its two
// components, and a measurement MES must refuse.
func measurementCases() []Case {
	return []Case{{
		ID: "mesures.publish", API: APIMeasurements,
		Title:    "Dépôt d'une mesure (poids)",
		Expected: "MES accepte la transaction (Observation et Device conditionnel, HTTP 2xx).",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if err := s.pair(ctx); err != nil {
				return "", err
			}
			d := testMeasurement(s.pairing, s.now(), "body-weight", docbridge.Coding{System: loinc, Code: "29463-7", Display: "Body weight"}, "71.5", "kg")
			r, err := s.deliver(ctx, d)
			if err != nil {
				return "", err
			}
			if r.Duplicate {
				return fmt.Sprintf("HTTP %d", r.Status), errors.New("MES l'a signalée comme déjà reçue")
			}
			s.measurement = d
			return fmt.Sprintf("Mesure déposée : HTTP %d.", r.Status), nil
		},
	}, {
		ID: "mesures.resend", API: APIMeasurements,
		Title:    "Renvoi à l'identique (idempotence)",
		Expected: "La même mesure renvoyée est reconnue par son identifiant comme déjà reçue ; MES n'en crée pas de seconde.",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if s.measurement == nil {
				return "", errors.New("dépend de mesures.publish, qui n'a pas réussi")
			}
			r, err := s.deliver(ctx, s.measurement)
			if err != nil {
				return "", err
			}
			if !r.Duplicate {
				return fmt.Sprintf("HTTP %d", r.Status), errors.New("MES n'a pas reconnu la mesure déjà reçue")
			}
			return fmt.Sprintf("HTTP %d, mesure reconnue comme déjà reçue.", r.Status), nil
		},
	}, {
		ID: "mesures.blood-pressure", API: APIMeasurements,
		Title:    "Dépôt d'une pression artérielle (deux composantes)",
		Expected: "MES accepte la pression artérielle, systolique et diastolique dans une seule Observation (HTTP 2xx).",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if err := s.pair(ctx); err != nil {
				return "", err
			}
			d := testMeasurement(s.pairing, s.now(), "bp", docbridge.Coding{System: loinc, Code: "85354-9", Display: "Blood pressure panel"}, "", "")
			d.Measurement.Components = []docbridge.MeasureComponent{
				{Code: docbridge.Coding{System: loinc, Code: "8480-6", Display: "Systolic blood pressure"}, Value: "128", Unit: "mm[Hg]"},
				{Code: docbridge.Coding{System: loinc, Code: "8462-4", Display: "Diastolic blood pressure"}, Value: "79", Unit: "mm[Hg]"},
			}
			r, err := s.deliver(ctx, d)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("Pression artérielle déposée : HTTP %d.", r.Status), nil
		},
	}, {
		ID: "mesures.error-422", API: APIMeasurements,
		Title:    "Erreur 422 : unité contraire au profil",
		Expected: "Un poids dans une autre unité que celle que fixe le profil (kg) est refusé (HTTP 422 ou 400).",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if err := s.pair(ctx); err != nil {
				return "", err
			}
			d := testMeasurement(s.pairing, s.now(), "body-weight", docbridge.Coding{System: loinc, Code: "29463-7", Display: "Body weight"}, "157.6", "[lb_av]")
			r, err := s.deliver(ctx, d)
			return refusal(r.Status, err, docbridge.MESRejected, http.StatusUnprocessableEntity, http.StatusBadRequest)
		},
	}}
}

// loinc is the LOINC code system.
const loinc = "http://loinc.org"

// testMeasurement returns a final measurement of the paired test patient's,
// of the MES profile named profile, taken now, under a fresh key: the
// test book's own sending application and a random order number.
func testMeasurement(p docbridge.Pairing, now time.Time, profile string, code docbridge.Coding, value, unit string) *docbridge.Document {
	at := now.In(paris).Truncate(time.Second)
	key := []string{"DOCBRIDGE-CONFORMANCE", randomHex(8), code.Code, at.Format("20060102150405")}
	return &docbridge.Document{
		Kind:     docbridge.KindMeasurement,
		UniqueID: docbridge.MeasurementID(key...),
		Action:   docbridge.Create,
		Title:    "Mesure de test de référencement (docbridge)",
		Patient:  p.Patient,
		Measurement: &docbridge.Measurement{Profile: profile, Code: code, Value: value, Unit: unit,
			Effective: at.Format(time.RFC3339), Status: "final", Key: key, Device: "DOCBRIDGE-CONFORMANCE"},
	}
}
