package mes_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/fhirschematest"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/mes/messim"
)

var apptSchema = sync.OnceValues(func() (*fhirschematest.Schema, error) { return fhirschematest.Load("Appointment") })

// testAppointment returns an appointment document of insA's: booked, with
// a practitioner, a place and an establishment; edit changes it.
func testAppointment(action docbridge.Action, edit func(a *docbridge.Appointment)) *docbridge.Document {
	a := &docbridge.Appointment{
		ID: docbridge.Identifier{System: "urn:oid:1.2.250.1.999.1.2.3", Value: "F100045"}, Event: "SIU^S12", Status: "booked",
		Start: "2026-07-19T11:30:00+02:00", End: "2026-07-19T12:00:00+02:00", Minutes: 30,
		Service:      docbridge.Coding{System: "urn:oid:1.2.250.1.999.1.9", Code: "CS-CARDIO", Display: "Consultation de cardiologie"},
		Description:  "Consultation de cardiologie",
		Practitioner: &docbridge.Author{ID: "810000000000", System: "urn:oid:1.2.250.1.71.4.2.1", Name: "Dr Jean CAREFUL"},
		Place:        "Consultations externes, bâtiment B",
		Establishment: &docbridge.Establishment{Name: "Clinique (fictive)", Address: "1 rue de la Paix, 75002 Paris",
			ID: "1.2.250.1.71.4.2.2^1999999901"},
		Comment: "Apporter les derniers résultats", EventTime: "2026-07-16T13:00:00+02:00",
	}
	if edit != nil {
		edit(a)
	}
	d := testDoc("1.2.250.1.999.1.2.3^F100045", []byte("{}"))
	d.Kind, d.Appointment, d.Action = docbridge.KindAppointment, a, action
	if action == docbridge.Replace {
		d.Replaces = d.UniqueID
	}
	return d
}

// emittedAppointments are the shapes of Appointment docbridge sends.
func emittedAppointments() map[string]*docbridge.Document {
	return map[string]*docbridge.Document{
		"booked": testAppointment(docbridge.Create, nil),
		"cancelled with a reason": testAppointment(docbridge.Replace, func(a *docbridge.Appointment) {
			a.Status, a.CancelReason = "cancelled", "Annulé par le patient"
		}),
		"cancelled without times": testAppointment(docbridge.Replace, func(a *docbridge.Appointment) {
			a.Status, a.Start, a.End, a.Minutes = "cancelled", "", "", 0
		}),
		"no-show":          testAppointment(docbridge.Replace, func(a *docbridge.Appointment) { a.Status = "noshow" }),
		"entered in error": testAppointment(docbridge.Replace, func(a *docbridge.Appointment) { a.Status = "entered-in-error" }),
		"bare": testAppointment(docbridge.Create, func(a *docbridge.Appointment) {
			a.Practitioner, a.Place, a.Establishment, a.Service, a.Description, a.Comment = nil, "", nil, docbridge.Coding{}, "", ""
		}),
		"UTC, local service code": testAppointment(docbridge.Create, func(a *docbridge.Appointment) {
			a.Start, a.End, a.Service.System = "2026-07-19T09:30:00Z", "2026-07-19T10:00:00Z", ""
		}),
	}
}

// TestEmittedAppointmentsAreValid checks every shape of Appointment against
// the FHIR R4 schema and the simulator's profile checks (R4 invariants).
func TestEmittedAppointmentsAreValid(t *testing.T) {
	sch, err := apptSchema()
	if err != nil {
		t.Fatal(err)
	}
	sim, ts := messim.NewTestServer(t, messim.Options{})
	p := pairingFor("mes-patient-1", insA, "")
	p.AccessToken = sim.AddPatient(p.MESPatient, insA, insSystem)
	p.Scopes = []string{docbridge.ScopeDocuments, docbridge.ScopeAgenda}
	for name, d := range emittedAppointments() {
		t.Run(name, func(t *testing.T) {
			d.Appointment.ID.Value = strings.ReplaceAll(name, " ", "-")
			var b bytes.Buffer
			if err := mes.WriteAppointment(&b, d, &p); err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(b.Bytes()); err != nil {
				t.Errorf("not valid R4: %v\n%s", err, b.String())
			}
			if _, err := mes.NewClient(mes.Options{BaseURL: ts.URL}).Deliver(context.Background(), d, nil, p); err != nil {
				t.Errorf("the simulator refused it: %v", err)
			}
		})
	}
}

// TestDeliverAppointment: a creation is a conditional POST, its resend is
// "already there", a replacement is a conditional PUT that updates the
// same appointment; a replacement of an appointment MES does not hold
// creates it; there is only ever one appointment per identifier.
func TestDeliverAppointment(t *testing.T) {
	sim, ts := messim.NewTestServer(t, messim.Options{})
	p := pairingFor("mes-patient-1", insA, "")
	p.AccessToken = sim.AddPatient(p.MESPatient, insA, insSystem)
	p.Scopes = []string{docbridge.ScopeDocuments, docbridge.ScopeAgenda}
	c := mes.NewClient(mes.Options{BaseURL: ts.URL})
	ctx := context.Background()
	steps := []struct {
		d         *docbridge.Document
		status    int
		duplicate bool
	}{
		{testAppointment(docbridge.Create, nil), 201, false},
		{testAppointment(docbridge.Create, nil), 200, true},
		{testAppointment(docbridge.Replace, func(a *docbridge.Appointment) {
			a.Start, a.End = "2026-07-20T14:30:00+02:00", "2026-07-20T15:00:00+02:00"
		}), 200, false},
		{testAppointment(docbridge.Replace, func(a *docbridge.Appointment) { a.Status = "cancelled" }), 200, false},
		{testAppointment(docbridge.Replace, func(a *docbridge.Appointment) { a.ID.Value = "F100046" }), 201, false},
	}
	var first string
	for i, s := range steps {
		r, err := c.Deliver(ctx, s.d, nil, p)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if r.Status != s.status || r.Duplicate != s.duplicate || r.MESID == "" {
			t.Errorf("step %d: receipt %+v, want status %d duplicate %v and an id", i, r, s.status, s.duplicate)
		}
		if i == 0 {
			first = r.MESID
		} else if i < 4 && r.MESID != first {
			t.Errorf("step %d: MES id %s, want the first one's %s", i, r.MESID, first)
		}
	}
	got := sim.Appointments()
	if len(got) != 2 {
		t.Fatalf("the simulator holds %d appointments, want 2", len(got))
	}
	want := "create booked 2026-07-19T11:30:00+02:00, resend, update booked 2026-07-20T14:30:00+02:00, update cancelled 2026-07-19T11:30:00+02:00"
	if h := strings.Join(got[0].History, ", "); h != want {
		t.Errorf("history = %s\nwant      %s", h, want)
	}
	if got[0].Patient != p.MESPatient || got[0].Status != "cancelled" {
		t.Errorf("appointment = %+v", got[0])
	}
	// A creation that finds another version there makes it this one.
	changed := testAppointment(docbridge.Create, func(a *docbridge.Appointment) { a.ID.Value, a.Comment = "F100046", "Venir à jeun" })
	if r, err := c.Deliver(ctx, changed, nil, p); err != nil || r.Duplicate || r.Status != 200 {
		t.Errorf("creation over another version: %+v, %v", r, err)
	}
	if a := sim.Appointments()[1]; !strings.Contains(string(a.Resource), "Venir à jeun") || len(a.History) != 2 {
		t.Errorf("the appointment was not updated to the creation's version: %v", a.History)
	}
	// Another patient's token cannot touch it.
	other := pairingFor("mes-patient-2", insB, "")
	other.AccessToken = sim.AddPatient(other.MESPatient, insB, insSystem)
	other.Scopes = p.Scopes
	if _, err := c.Deliver(ctx, testAppointment(docbridge.Replace, nil), nil, other); docbridge.ReasonOf(err) != docbridge.MESRejected {
		t.Errorf("another patient's update: %v, want mes-rejected", err)
	}
}

// TestAppointmentFHIRValidateTool runs the independent validator of
// ../shared/tools/fhir-validate (@medplum/core) over every shape of
// Appointment when it is installed: set FHIR_VALIDATE_DIR to a directory
// where its package is npm-installed.
func TestAppointmentFHIRValidateTool(t *testing.T) {
	dir := os.Getenv("FHIR_VALIDATE_DIR")
	if dir == "" {
		t.Skip("FHIR_VALIDATE_DIR not set: the npm validator is not installed")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not found")
	}
	p := pairingFor("mes-patient-1", insA, "t")
	var files []string
	for name, d := range emittedAppointments() {
		var b bytes.Buffer
		if err := mes.WriteAppointment(&b, d, &p); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), strings.ReplaceAll(name, " ", "-")+".json")
		os.WriteFile(f, b.Bytes(), 0o600)
		files = append(files, f)
	}
	cmd := exec.Command("node", append([]string{filepath.Join(dir, "validate.mjs")}, files...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("fhir-validate: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("0 errors")) {
		t.Errorf("fhir-validate did not report 0 errors: %s", out)
	}
	t.Logf("fhir-validate over %d Appointments: %s", len(files), bytes.TrimSpace(out))
}
