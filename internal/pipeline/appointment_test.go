package pipeline

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// appointmentConvert reads "appt;<event>;<event time>;<status>[;b]" as
// one version of the appointment 1.2.3^A1: S12 creates it, any other event
// replaces it; "b" files it under patientB.
func appointmentConvert(raw []byte) (docbridge.Format, []*docbridge.Document, error) {
	parts := strings.Split(string(raw), ";")
	a := &docbridge.Appointment{ID: docbridge.Identifier{System: "urn:oid:1.2.3", Value: "A1"}, Event: parts[1],
		EventTime: parts[2], Status: parts[3], Start: "2026-07-20T14:30:00+02:00", End: "2026-07-20T15:00:00+02:00"}
	d := &docbridge.Document{Kind: docbridge.KindAppointment, UniqueID: "1.2.3^A1", Action: docbridge.Create, Patient: patient, Appointment: a}
	if parts[1] != "S12" {
		d.Action, d.Replaces = docbridge.Replace, d.UniqueID
	}
	if len(parts) > 4 && parts[4] == "b" {
		d.Patient = patientB
	}
	d.Content, _ = json.Marshal(a)
	sum1, sum256 := sha1.Sum(d.Content), sha256.Sum256(d.Content)
	d.Size, d.SHA1, d.SHA256 = int64(len(d.Content)), hex.EncodeToString(sum1[:]), hex.EncodeToString(sum256[:])
	return docbridge.FormatHL7v2, []*docbridge.Document{d}, nil
}

// TestAppointmentVersionsInOrder: the versions of one appointment reach
// MES newest last, whatever order they arrive in, as a creation then
// updates; an older version arriving after a newer one was delivered, or
// while a newer one is on its way, is retired and never sent; the same
// message twice is one version.
func TestAppointmentVersionsInOrder(t *testing.T) {
	s12 := "appt;S12;2026-07-16T13:00:00+02:00;booked"
	s14 := "appt;S14;2026-07-17T09:00:00+02:00;booked"
	s15 := "appt;S15;2026-07-18T10:00:00+02:00;cancelled"
	tests := []struct {
		name   string
		rounds [][]string // inputs accepted together, then the stages settle
		wire   string
		states map[string]docbridge.State // by event
	}{
		{"in order, one at a time", [][]string{{s12}, {s14}, {s15}},
			"create 1.2.3^A1, replace 1.2.3^A1>1.2.3^A1, replace 1.2.3^A1>1.2.3^A1",
			map[string]docbridge.State{"S12": docbridge.Superseded, "S14": docbridge.Superseded, "S15": docbridge.Delivered}},
		{"cancel before the rescheduling", [][]string{{s12}, {s15}, {s14}},
			"create 1.2.3^A1, replace 1.2.3^A1>1.2.3^A1",
			map[string]docbridge.State{"S12": docbridge.Superseded, "S14": docbridge.Superseded, "S15": docbridge.Delivered}},
		{"all at once", [][]string{{s12, s14, s15}},
			"create 1.2.3^A1",
			map[string]docbridge.State{"S12": docbridge.Superseded, "S14": docbridge.Superseded, "S15": docbridge.Delivered}},
		{"all at once, newest first", [][]string{{s15, s14, s12}},
			"create 1.2.3^A1",
			map[string]docbridge.State{"S12": docbridge.Superseded, "S14": docbridge.Superseded, "S15": docbridge.Delivered}},
		{"sent twice", [][]string{{s12}, {s12, s14}, {s14}},
			"create 1.2.3^A1, replace 1.2.3^A1>1.2.3^A1",
			map[string]docbridge.State{"S12": docbridge.Superseded, "S14": docbridge.Delivered}},
		// Another patient's message under the same appointment id stops
		// in review; the patient's own appointment is left as it was.
		{"another patient", [][]string{{s12}, {s14 + ";b"}},
			"create 1.2.3^A1",
			map[string]docbridge.State{"S12": docbridge.Delivered, "S14": docbridge.Review}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, w := newVersionFixture(t, nil)
			f.p.o.Converter = ConverterFunc(appointmentConvert)
			for _, p := range []docbridge.Pairing{
				{ID: "p1", MESPatient: "m1", Patient: patient, AccessToken: "tok"},
				{ID: "p2", MESPatient: "m2", Patient: patientB, AccessToken: "tok2"},
			} {
				p.CreatedAt, p.Scopes = f.now, []string{docbridge.ScopeDocuments, docbridge.ScopeAgenda}
				if err := f.st.PutPairing(context.Background(), p); err != nil {
					t.Fatal(err)
				}
			}
			for _, round := range tt.rounds {
				for _, in := range round {
					f.accept(t, in)
				}
				f.settle(t)
			}
			if got := w.String(); got != tt.wire {
				t.Errorf("requests = %s\nwant       %s", got, tt.wire)
			}
			rows, err := f.st.Documents(context.Background(), store.Filter{UniqueID: "1.2.3^A1"})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(tt.states) {
				t.Errorf("%d versions stored, want %d", len(rows), len(tt.states))
			}
			for _, r := range rows {
				if want := tt.states[r.Doc.Appointment.Event]; r.State != want {
					t.Errorf("%s is %s (%s), want %s", r.Doc.Appointment.Event, r.State, r.Message, want)
				}
			}
		})
	}
}

// TestAppointmentWaitsForAClaimedVersion: with leases, a version another
// instance has claimed may be on its way to MES: a newer version waits
// for it rather than going beside it.
func TestAppointmentWaitsForAClaimedVersion(t *testing.T) {
	f, w := newVersionFixture(t, nil)
	f.p.o.Converter, f.p.o.Lease = ConverterFunc(appointmentConvert), time.Minute
	ctx := context.Background()
	if err := f.st.PutPairing(ctx, docbridge.Pairing{ID: "p1", MESPatient: "m1", Patient: patient, AccessToken: "tok",
		CreatedAt: f.now, Scopes: []string{docbridge.ScopeAgenda}}); err != nil {
		t.Fatal(err)
	}
	f.accept(t, "appt;S12;2026-07-16T13:00:00+02:00;booked")
	f.p.matchDue(ctx)
	claimed, err := f.st.Claim(ctx, docbridge.Matched, f.now, time.Minute, 0) // another instance
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim the booking: %d rows, %v", len(claimed), err)
	}
	f.accept(t, "appt;S15;2026-07-18T10:00:00+02:00;cancelled")
	f.p.matchDue(ctx)
	rows, _ := f.st.Documents(ctx, store.Filter{UniqueID: "1.2.3^A1", State: docbridge.Matched})
	var cancel store.DocRow
	for _, r := range rows {
		if r.Doc.Appointment.Event == "S15" {
			cancel = r
		}
	}
	if err := f.p.deliverAt(ctx, cancel, 0); err != nil {
		t.Fatal(err)
	}
	after, _ := f.st.Document(ctx, cancel.ID)
	if after.State != docbridge.Matched || !after.NextAttempt.Equal(claimed[0].NextAttempt) || w.String() != "" {
		t.Errorf("cancellation %s next %v, requests %q; want it to wait until the claim's end %v, nothing sent", after.State, after.NextAttempt, w, claimed[0].NextAttempt)
	}
	f.now = f.now.Add(2 * time.Minute)
	f.settle(t)
	if got, want := w.String(), "create 1.2.3^A1"; got != want {
		t.Errorf("requests = %s, want %s (the cancellation, the booking retired)", got, want)
	}
}
