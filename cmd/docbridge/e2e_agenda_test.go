package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/fhirschematest"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mes/messim"
	"github.com/docbridge/docbridge/samples"
)

// The PID segments of the agenda's two patients: the sample patient
// (paired in samples/pairings.json) and one paired only during the test.
const (
	agendaPIDPaired   = "PID|1||285047505612322^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L||19850417|F|||~^^^^^^BDL^^75056"
	agendaPIDUnpaired = "PID|1||192036912304577^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||AUTRE-TEST^PAUL^PAUL^^^^L||19920306|M|||~^^^^^^BDL^^69123"
)

// agendaProfiles enable the agenda for the scheduling system (by its
// MSH-3) and for the FHIR intake.
const agendaProfiles = `profiles:
  - name: clinic-agenda
    when: {sending_application: AGENDA-DB}
    agenda: {enabled: true, establishment: {name: Clinique DB (fictive), address: "1 rue de la Paix, 75002 Paris"}}
  - name: fhir-agenda
    when: {intake: fhir}
    agenda: {enabled: true}
`

// siu builds an SIU message of the scheduling system AGENDA-DB: event
// (S12, S14, S15…), its MSH-10 and MSH-7, the filler appointment id,
// start and end (YYYYMMDDHHMM, Paris time) and the filler status.
func siu(event, control, at, id, start, end, status, pid string) []byte {
	segs := []string{
		"MSH|^~\\&|AGENDA-DB|CLINIQUE-DB|DOCBRIDGE|MES|" + at + "+0200||SIU^" + event + "^SIU_S12|" + control + "|P|2.5|||||FRA|UNICODE UTF-8",
		"SCH||" + id + "^AGENDA-DB^1.2.250.1.999.1.2.3^ISO||||ANNUL^Annulé par le patient|CONSULT^Consultation^L|NORMAL^Normal^HL70277|30|min|^^30^" + start + "^" + end + "||||||||||||||" + status,
		pid,
		"RGS|1",
		"AIS|1||CS-CARDIO^Consultation de cardiologie^L",
		"AIL|1||CONSULT-B^^^^^^Bâtiment B",
		"AIP|1||810000000000^CAREFUL^JEAN^^^Dr^^^ASIP-SANTE-PS&1.2.250.1.71.4.2.1&ISO^^^^RPPS|MED",
	}
	return []byte(strings.Join(segs, "\r") + "\r")
}

// agendaPairing imports a pairing of the patient with these traits that
// grants scopes, with a token of the simulator's.
func (e *e2e) agendaPairing(id, mesPatient string, p docbridge.Patient, scopes ...string) {
	e.t.Helper()
	pairing := docbridge.Pairing{ID: id, MESPatient: mesPatient, Patient: p, CreatedAt: time.Now().UTC(),
		AccessToken: e.sim.AddPatient(mesPatient, p.INS, p.INSSystem), Scopes: scopes}
	pf := filepath.Join(e.dir, id+".json")
	b, _ := json.Marshal([]docbridge.Pairing{pairing})
	os.WriteFile(pf, b, 0o600)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"pair", "import", "-c", e.cfg, pf}, &out, &out); err != nil {
		e.t.Fatalf("pair import: %v\n%s", err, out.String())
	}
}

// appointment returns what the simulator holds under the appointment id
// of the scheduling system, and whether it holds it.
func (e *e2e) appointment(id string) (messim.StoredAppointment, bool) {
	for _, a := range e.sim.Appointments() {
		if a.Identifier == "urn:oid:1.2.250.1.999.1.2.3|"+id {
			return a, true
		}
	}
	return messim.StoredAppointment{}, false
}

// appointmentRows returns the stored versions of an appointment.
func (e *e2e) appointmentRows(uniqueID string) []store.DocRow {
	st, err := e.openStore()
	if err != nil {
		return nil
	}
	defer st.Close()
	rows, _ := st.Documents(context.Background(), store.Filter{UniqueID: uniqueID})
	return rows
}

// TestEndToEndAgenda runs the daemon with an MLLP listener and the FHIR
// intake, the agenda enabled for the scheduling system. For one
// appointment of a paired patient, S12 then S14 then S15 leave one
// appointment at the simulator, booked, rescheduled, then cancelled; the
// same messages sent again change nothing; for another, the S15 arriving
// before the S14 leaves the same final state (the S14 is never sent); an
// SIU for an unpaired patient waits for the pairing, then for a pairing
// that grants the agenda, and goes once the patient grants it; a pending appointment is acknowledged and recorded as not
// for the agenda; a contradictory one, and one from a source whose profile
// does not enable the agenda, get an AE; a FHIR Appointment posted to the
// intake is delivered, and its cancellation posted later updates it.
// Every Appointment the simulator received passes the FHIR R4 schema
// (and ../shared/tools/fhir-validate when FHIR_VALIDATE_DIR is set).
func TestEndToEndAgenda(t *testing.T) {
	mllpAddr, fhirAddr := freePort(t), freePort(t)
	e := newE2EServer(t, messim.Options{}, nil, fmt.Sprintf("mllp:\n  - {name: agenda, addr: %q}\nfhir: {addr: %s, tokens_file: tokens}\n", mllpAddr, fhirAddr)+agendaProfiles)
	if err := os.WriteFile(filepath.Join(e.dir, "tokens"), []byte("# the e2e sender\n"+fhirToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var sample []docbridge.Pairing
	b, _ := fs.ReadFile(samples.FS, "pairings.json")
	json.Unmarshal(b, &sample)
	e.agendaPairing(sample[0].ID, sample[0].MESPatient, sample[0].Patient, docbridge.ScopeDocuments, docbridge.ScopeAgenda)
	cmd := e.start()
	e.waitListening(mllpAddr)
	e.waitListening(fhirAddr)
	send := func(msg []byte) {
		t.Helper()
		ack := mllpSend(t, mllpAddr, msg)
		if got := msa(ack); !strings.HasPrefix(got, "AA ") {
			es, _ := ack.Segment("ERR")
			t.Fatalf("MSA = %q, want AA (ERR-8 %q)", got, es.Field(8).String())
		}
	}
	waitHistory := func(id string, n int) messim.StoredAppointment {
		t.Helper()
		var a messim.StoredAppointment
		e.waitFor(fmt.Sprintf("appointment %s with %d versions", id, n), 2*time.Minute, func() bool {
			var ok bool
			a, ok = e.appointment(id)
			return ok && len(a.History) >= n
		})
		return a
	}

	// One appointment, in order: booked, rescheduled, cancelled.
	a1 := [][]byte{
		siu("S12", "AG-1", "20260716130000", "F100045", "202607191130", "202607191200", "Booked", agendaPIDPaired),
		siu("S14", "AG-2", "20260717090000", "F100045", "202607201430", "202607201500", "Booked", agendaPIDPaired),
		siu("S15", "AG-3", "20260718100000", "F100045", "202607201430", "202607201500", "Cancelled", agendaPIDPaired),
	}
	for i, m := range a1 {
		send(m)
		waitHistory("F100045", i+1)
	}
	want := "create booked 2026-07-19T11:30:00+02:00, update booked 2026-07-20T14:30:00+02:00, update cancelled 2026-07-20T14:30:00+02:00"
	if a, _ := e.appointment("F100045"); strings.Join(a.History, ", ") != want || a.Status != "cancelled" {
		t.Errorf("appointment F100045: %s (%s)\nwant %s", strings.Join(a.History, ", "), a.Status, want)
	}

	// Another, the cancellation overtaking the rescheduling.
	send(siu("S12", "AG-11", "20260716130000", "F100046", "202607191130", "202607191200", "Booked", agendaPIDPaired))
	waitHistory("F100046", 1)
	send(siu("S15", "AG-13", "20260718100000", "F100046", "202607201430", "202607201500", "Cancelled", agendaPIDPaired))
	waitHistory("F100046", 2)
	send(siu("S14", "AG-12", "20260717090000", "F100046", "202607201430", "202607201500", "Booked", agendaPIDPaired))
	e.waitFor("the late S14 retired", 2*time.Minute, func() bool {
		for _, r := range e.appointmentRows("1.2.250.1.999.1.2.3^F100046") {
			if r.Doc.Appointment.Event == "SIU^S14" {
				return r.State == docbridge.Superseded
			}
		}
		return false
	})

	// What is not for the agenda is acknowledged and recorded; what is
	// refused gets an AE with the reason in ERR.
	send(siu("S12", "AG-31", "20260716130000", "F100048", "202607221000", "202607221030", "Pending", agendaPIDPaired))
	e.waitFor("the pending appointment recorded as not for the agenda", time.Minute, func() bool {
		rows := e.appointmentRows("1.2.250.1.999.1.2.3^F100048")
		return len(rows) == 1 && rows[0].State == docbridge.Superseded && rows[0].Reason == docbridge.NotForAgenda
	})
	for _, tt := range []struct {
		msg  []byte
		want string
	}{
		{siu("S15", "AG-32", "20260718100000", "F100049", "202607201430", "202607201500", "Booked", agendaPIDPaired), "malformed: SCH-25"},
		{bytes.Replace(siu("S12", "AG-33", "20260716130000", "F100050", "202607191130", "202607191200", "Booked", agendaPIDPaired),
			[]byte("|AGENDA-DB|CLINIQUE-DB|"), []byte("|OTHER-AGENDA|CLINIQUE-DB|"), 1), "unsupported-format: appointments go to the patient's agenda only from a source whose profile enables it"},
	} {
		ack := mllpSend(t, mllpAddr, tt.msg)
		es, _ := ack.Segment("ERR")
		if got := msa(ack); !strings.HasPrefix(got, "AE ") || !strings.HasPrefix(es.Field(8).String(), tt.want) {
			t.Errorf("MSA %q, ERR-8 %q; want AE and %q", got, es.Field(8).String(), tt.want)
		}
	}

	// The same messages again: acknowledged, nothing changes.
	for _, m := range a1 {
		send(m)
	}

	// An unpaired patient's appointment waits for the pairing.
	send(siu("S12", "AG-21", "20260716130000", "F100047", "202607221000", "202607221030", "Booked", agendaPIDUnpaired))
	e.waitFor("the unpaired patient's appointment held", 2*time.Minute, func() bool {
		rows := e.appointmentRows("1.2.250.1.999.1.2.3^F100047")
		return len(rows) == 1 && rows[0].State == docbridge.Held && rows[0].Reason == docbridge.NotPaired
	})
	if _, ok := e.appointment("F100047"); ok {
		t.Fatal("the unpaired patient's appointment reached MES")
	}

	// A FHIR Appointment posted to the intake.
	raw, err := fs.ReadFile(samples.FS, "appointment-fhir.json")
	if err != nil {
		t.Fatal(err)
	}
	resp, oo := fhirPost(t, "http://"+fhirAddr+"/Appointment", "application/fhir+json", bytes.NewReader(raw))
	if resp.StatusCode != 202 {
		t.Fatalf("POST /Appointment: %d %+v", resp.StatusCode, oo)
	}
	waitHistory("F200001", 1)

	// The same Appointment cancelled later: the same appointment, updated.
	cancelled, err := os.ReadFile(filepath.Join("..", "..", "convert", "fhir", "testdata", "appointment-cancelled.json"))
	if err != nil {
		t.Fatal(err)
	}
	if resp, oo := fhirPost(t, "http://"+fhirAddr+"/Appointment", "application/fhir+json", bytes.NewReader(cancelled)); resp.StatusCode != 202 {
		t.Fatalf("POST /Appointment (cancelled): %d %+v", resp.StatusCode, oo)
	}
	waitHistory("F200001", 2)

	// The patient pairs for documents only: the appointment waits for
	// the agenda scope; once they pair granting it, it goes.
	other := docbridge.Patient{INS: "192036912304577", INSSystem: "urn:oid:1.2.250.1.213.1.4.10", BirthName: "AUTRE-TEST",
		FirstNames: []string{"PAUL"}, BirthDate: "1992-03-06", Sex: "M", BirthPlace: "69123"}
	e.agendaPairing("pairing-agenda-2", "mes-sim-patient-0002", other, docbridge.ScopeDocuments)
	e.waitFor("the appointment held for the agenda scope", 2*time.Minute, func() bool {
		rows := e.appointmentRows("1.2.250.1.999.1.2.3^F100047")
		return len(rows) == 1 && rows[0].State == docbridge.Held && rows[0].Reason == docbridge.ScopeMissing
	})
	e.agendaPairing("pairing-agenda-2", "mes-sim-patient-0002", other, docbridge.ScopeDocuments, docbridge.ScopeAgenda)
	waitHistory("F100047", 1)

	time.Sleep(time.Second) // anything wrongly sent by a resend would show now
	stopDaemon(t, cmd)
	for id, want := range map[string]string{
		"F100045": want,
		"F100046": "create booked 2026-07-19T11:30:00+02:00, update cancelled 2026-07-20T14:30:00+02:00",
		"F100047": "create booked 2026-07-22T10:00:00+02:00",
		"F200001": "create booked 2026-07-21T08:15:00+02:00, update cancelled 2026-07-21T08:15:00+02:00",
	} {
		if a, _ := e.appointment(id); strings.Join(a.History, ", ") != want {
			t.Errorf("appointment %s: %s\nwant %s", id, strings.Join(a.History, ", "), want)
		}
	}
	all := e.sim.Appointments()
	if len(all) != 4 {
		t.Errorf("the simulator holds %d appointments, want 4", len(all))
	}
	checkAppointmentsValid(t, all)
	log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
	assertNoPatientData(t, string(log))
	for _, secret := range []string{"AUTRE-TEST", "192036912304577", "CAREFUL"} {
		if strings.Contains(string(log), secret) {
			t.Errorf("the daemon log holds patient or appointment data %q", secret)
		}
	}
}

// checkAppointmentsValid checks every Appointment the simulator received
// against the FHIR R4 schema and, when FHIR_VALIDATE_DIR names an
// npm-installed ../shared/tools/fhir-validate and node is there, with it.
func checkAppointmentsValid(t *testing.T, all []messim.StoredAppointment) {
	t.Helper()
	sch, err := fhirschematest.Load("Appointment")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for i, a := range all {
		if err := sch.Validate(a.Resource); err != nil {
			t.Errorf("appointment %s is not valid R4: %v", a.Identifier, err)
		}
		f := filepath.Join(t.TempDir(), fmt.Sprintf("appointment-%d.json", i))
		os.WriteFile(f, a.Resource, 0o600)
		files = append(files, f)
	}
	dir := os.Getenv("FHIR_VALIDATE_DIR")
	if _, err := exec.LookPath("node"); dir == "" || err != nil {
		t.Log("fhir-validate skipped: FHIR_VALIDATE_DIR not set or node not found")
		return
	}
	cmd := exec.Command("node", append([]string{filepath.Join(dir, "validate.mjs")}, files...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("0 errors")) {
		t.Errorf("fhir-validate: %v\n%s", err, out)
	}
	t.Logf("fhir-validate over %d Appointments: %s", len(files), bytes.TrimSpace(out))
}
