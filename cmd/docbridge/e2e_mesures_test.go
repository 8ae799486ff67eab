package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/fhirschematest"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes/messim"
	"github.com/docbridge/docbridge/samples"
)

// mesuresSample is the ORU^R01 of vital signs and glycaemia in samples/.
const mesuresSample = "../../samples/oru-r01-mesures.hl7"

// newMesuresE2E is newE2EServer for measurements: the sample patient is
// paired with the scopes given, the clinic's source profiles (MSH-3
// CLINIC-E2E, FHIR sender clinic-fhir) turn measurements on, an MLLP
// listener is at addr; extra YAML sections are added (lines starting
// "  - " as more profiles).
func newMesuresE2E(t *testing.T, addr string, scopes []string, extra ...string) *e2e {
	t.Helper()
	maps, err := mappings.Load("")
	if err != nil {
		t.Fatal(err)
	}
	sim := messim.New(messim.Options{Codes: maps})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	e := &e2e{t: t, dir: t.TempDir(), sim: sim}
	e.cfg = filepath.Join(e.dir, "docbridge.yaml")
	cfg := fmt.Sprintf(`environment: test
data: data
log: {level: info, format: json}
mes: {base_url: %q, response_timeout: 5s, scopes: [documents, mesures]}
delivery: {retry_base: 100ms, retry_max: 1s, lease: 5s}
mllp:
  - {name: clinic, addr: %q, idle_timeout: 1m}
profiles:
  - {name: clinic, measurements: true, when: {sending_application: CLINIC-E2E}}
  - {name: clinic-fhir, measurements: true, when: {sender: clinic-fhir}}
`, srv.URL, addr)
	for _, x := range extra {
		if strings.HasPrefix(x, "  - ") {
			cfg += x // one more profile: profiles: is the last section above
		} else {
			cfg = x + cfg
		}
	}
	if err := os.WriteFile(e.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var ps []docbridge.Pairing
	b, _ := fs.ReadFile(samples.FS, "pairings.json")
	if err := json.Unmarshal(b, &ps); err != nil {
		t.Fatal(err)
	}
	for i := range ps {
		ps[i].AccessToken = sim.AddPatient(ps[i].MESPatient, ps[i].Patient.INS, ps[i].Patient.INSSystem)
		ps[i].Scopes = scopes
	}
	pf := filepath.Join(e.dir, "pairings.json")
	b, _ = json.Marshal(ps)
	os.WriteFile(pf, b, 0o600)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"pair", "import", "-c", e.cfg, pf}, &out, &out); err != nil {
		t.Fatalf("pair import: %v\n%s", err, out.String())
	}
	return e
}

// mesuresMessage is the sample with its control id replaced and each
// (old, new) replacement applied.
func mesuresMessage(t *testing.T, controlID string, replace ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(mesuresSample)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "|MES-0001|", "|"+controlID+"|", 1)
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(s, replace[i]) {
			t.Fatalf("the sample has no %q", replace[i])
		}
		s = strings.Replace(s, replace[i], replace[i+1], 1)
	}
	return []byte(s)
}

// measureDocs returns the measurement documents of the daemon's store.
func (e *e2e) measureDocs() []store.DocRow {
	st, err := e.openStore()
	if err != nil {
		return nil
	}
	defer st.Close()
	rows, _ := st.Documents(context.Background(), store.Filter{})
	var out []store.DocRow
	for _, r := range rows {
		if r.Doc != nil && r.Doc.Kind == docbridge.KindMeasurement {
			out = append(out, r)
		}
	}
	return out
}

// TestEndToEndMesures is issue 21's done-when: an ORU^R01 over MLLP with a
// weight, a blood pressure in two OBX, a glycaemia in mmol/L and an HbA1c,
// for a patient paired with the mesures scope, gives exactly four
// Observations at the simulator, in the profiles' units, with the
// patient's MES id; the BMI OBX is not sent; a resend (the same bytes, or
// a new control id) gives none more; a C correction stops in review with
// an alert in the log; a value without a time is refused with
// missing-metadata. Every Observation passes the R4 schema.
func TestEndToEndMesures(t *testing.T) {
	addr := freePort(t)
	e := newMesuresE2E(t, addr, []string{docbridge.ScopeDocuments, docbridge.ScopeMeasurements})
	cmd := e.start()
	e.waitListening(addr)

	msg := mesuresMessage(t, "MES-0001")
	if got, want := msa(mllpSend(t, addr, msg)), "AA MES-0001"; got != want {
		t.Fatalf("MSA = %q, want %q", got, want)
	}
	e.waitFor("four measurements at the simulator", time.Minute, func() bool { return len(e.sim.Measurements()) >= 4 })
	e.waitFor("four measurements delivered", time.Minute, func() bool { return e.delivered() == 4 })

	got := map[string]string{}
	sch, err := fhirschematest.Load("Observation")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range e.sim.Measurements() {
		if m.Patient != "mes-sim-patient-0001" {
			t.Errorf("%s: subject %q, want the MES person id mes-sim-patient-0001", m.Profile, m.Patient)
		}
		if strings.Contains(string(m.Raw), "285047505612322") {
			t.Errorf("%s: the Observation carries the INS", m.Profile)
		}
		if err := sch.Validate(m.Raw); err != nil {
			t.Errorf("%s: not a valid R4 Observation: %v", m.Profile, err)
		}
		name := m.Profile[strings.LastIndexByte(m.Profile, '/')+1:]
		if m.Components != nil {
			got[name] = m.Components["8480-6"] + "/" + m.Components["8462-4"]
		} else {
			got[name] = m.Value + " " + m.Unit
		}
	}
	want := map[string]string{
		"mesures-fr-observation-body-weight": "71.5 kg",
		"mesures-fr-observation-bp":          "128 mm[Hg]/79 mm[Hg]",
		"mesures-observation-glucose":        "99.09 mg/dL",
		"mesures-observation-hb1ac":          "6.4 %",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("measurements at the simulator:\n got %v\nwant %v", got, want)
	}

	// Resends: the same bytes, and the same results under a new control id.
	requests := e.sim.Requests()
	if got, want := msa(mllpSend(t, addr, msg)), "AA MES-0001"; got != want {
		t.Errorf("resend: MSA = %q, want %q", got, want)
	}
	if got, want := msa(mllpSend(t, addr, mesuresMessage(t, "MES-0002"))), "AA MES-0002"; got != want {
		t.Errorf("retransmission: MSA = %q, want %q", got, want)
	}

	// A correction of the weight, under the same key.
	corr := mesuresMessage(t, "MES-0003", "||71,5|kg^kilogramme^UCUM|||||F|", "||72,5|kg^kilogramme^UCUM|||||C|")
	if got, want := msa(mllpSend(t, addr, corr)), "AA MES-0003"; got != want {
		t.Errorf("correction: MSA = %q, want %q", got, want)
	}
	// A heart rate without a time (no OBX-14, no OBR-7).
	untimed := []byte("MSH|^~\\&|CLINIC-E2E|CLINIQUE-DB|DOCBRIDGE|MES|20250114093500||ORU^R01^ORU_R01|MES-0004|P|2.5\r" +
		strings.Split(string(msg), "\r")[1] + "\r" +
		"OBR|1||CS-2025-0009^CLINIQUE-DB|85353-1^Signes vitaux^LN\r" +
		"OBX|1|NM|8867-4^Fréquence cardiaque^LN||72|/min^^UCUM|||||F\r")
	if got, want := msa(mllpSend(t, addr, untimed)), "AA MES-0004"; got != want {
		t.Errorf("untimed: MSA = %q, want %q", got, want)
	}

	reasons := func() map[docbridge.Reason]int {
		n := map[docbridge.Reason]int{}
		for _, r := range e.measureDocs() {
			n[r.Reason]++
		}
		return n
	}
	e.waitFor("the correction and the untimed value in review", time.Minute, func() bool {
		n := reasons()
		return n[docbridge.MeasurementCorrection] == 1 && n[docbridge.MissingMetadata] == 1
	})
	time.Sleep(2 * time.Second) // anything wrongly sent would be by now
	stopDaemon(t, cmd)

	if n := len(e.sim.Measurements()); n != 4 {
		t.Errorf("the simulator holds %d measurements after the resends and refusals, want 4", n)
	}
	if n := e.sim.Requests(); n != requests {
		t.Errorf("%d more requests reached the simulator after the first delivery, want none", n-requests)
	}
	for _, r := range e.measureDocs() {
		switch r.Reason {
		case docbridge.MeasurementCorrection, docbridge.MissingMetadata:
			if r.State != docbridge.Review {
				t.Errorf("measurement %d: state %s with %s, want review", r.ID, r.State, r.Reason)
			}
		case "":
			if r.State != docbridge.Delivered {
				t.Errorf("measurement %d: state %s, want delivered", r.ID, r.State)
			}
		default:
			t.Errorf("measurement %d: unexpected %s %s: %s", r.ID, r.State, r.Reason, r.Message)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"queue", "list", "-c", e.cfg, "--reason", "measurement-correction"}, &out, &out); err != nil {
		t.Fatalf("queue list: %v\n%s", err, out.String())
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 2 || !strings.Contains(lines[0], "KIND") || !strings.Contains(lines[1], " measurement ") {
		t.Errorf("queue list shows the correction without its kind:\n%s", out.String())
	}
	log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
	if !strings.Contains(string(log), `"alert":true,"reason":"measurement-correction"`) {
		t.Error("the daemon log has no alert for the correction")
	}
	if !strings.Contains(string(log), `"kind":"measurement"`) {
		t.Error("the daemon log does not name the kind of what it delivered")
	}
	assertNoPatientData(t, string(log))
}

// TestEndToEndMesuresScopeMissing: a patient paired for documents only is
// never sent a measurement; it is held with scope-missing, `pair list`
// shows the pairing's scopes, and when the patient pairs again granting
// mesures the held measurements are delivered.
func TestEndToEndMesuresScopeMissing(t *testing.T) {
	addr := freePort(t)
	e := newMesuresE2E(t, addr, []string{docbridge.ScopeDocuments})
	cmd := e.start()
	e.waitListening(addr)
	if got, want := msa(mllpSend(t, addr, mesuresMessage(t, "MES-0101"))), "AA MES-0101"; got != want {
		t.Fatalf("MSA = %q, want %q", got, want)
	}
	e.waitFor("four measurements held", time.Minute, func() bool {
		n := 0
		for _, r := range e.measureDocs() {
			if r.State == docbridge.Held && r.Reason == docbridge.ScopeMissing {
				n++
			}
		}
		return n == 4
	})
	if n := len(e.sim.Measurements()); n != 0 {
		t.Errorf("the simulator holds %d measurements for a patient who did not grant mesures", n)
	}
	// The operator sees who must pair again.
	var out bytes.Buffer
	if err := run(context.Background(), []string{"pair", "list", "-c", e.cfg}, &out, &out); err != nil {
		t.Fatalf("pair list: %v\n%s", err, out.String())
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 2 || !strings.Contains(lines[0], "SCOPES") || !strings.Contains(lines[1], " documents ") {
		t.Errorf("pair list does not show the pairing's scopes:\n%s", out.String())
	}

	// The patient pairs again granting mesures: the held measurements go.
	var ps []docbridge.Pairing
	b, _ := os.ReadFile(filepath.Join(e.dir, "pairings.json"))
	json.Unmarshal(b, &ps)
	for i := range ps {
		ps[i].Scopes = []string{docbridge.ScopeDocuments, docbridge.ScopeMeasurements}
	}
	b, _ = json.Marshal(ps)
	os.WriteFile(filepath.Join(e.dir, "pairings.json"), b, 0o600)
	out.Reset()
	if err := run(context.Background(), []string{"pair", "import", "-c", e.cfg, filepath.Join(e.dir, "pairings.json")}, &out, &out); err != nil {
		t.Fatalf("pair import: %v\n%s", err, out.String())
	}
	e.waitFor("the four measurements delivered after pairing again", time.Minute, func() bool { return len(e.sim.Measurements()) == 4 && e.delivered() == 4 })
	stopDaemon(t, cmd)
}

// TestEndToEndMesuresFHIR posts the sample Bundle of Observations to the
// FHIR intake as a sender whose profile turns measurements on: its weight,
// blood pressure and glycaemia reach the simulator, its BMI does not.
func TestEndToEndMesuresFHIR(t *testing.T) {
	addr, fhirAddr := freePort(t), freePort(t)
	e := newMesuresE2E(t, addr, []string{docbridge.ScopeDocuments, docbridge.ScopeMeasurements},
		fmt.Sprintf("fhir: {addr: %q, tokens_file: tokens}\n", fhirAddr))
	if err := os.WriteFile(filepath.Join(e.dir, "tokens"), []byte("clinic-fhir "+fhirToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := e.start()
	e.waitListening(fhirAddr)
	body, err := os.ReadFile("../../samples/mesures/observations-bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	resp, oo := fhirPost(t, "http://"+fhirAddr+"/", "application/fhir+json", bytes.NewReader(body))
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST: HTTP %d %+v", resp.StatusCode, oo)
	}
	e.waitFor("three measurements at the simulator", time.Minute, func() bool { return len(e.sim.Measurements()) >= 3 })
	stopDaemon(t, cmd)
	got := map[string]string{}
	for _, m := range e.sim.Measurements() {
		got[m.Profile[strings.LastIndexByte(m.Profile, '/')+1:]] = m.Value + m.Unit + fmt.Sprint(len(m.Components))
	}
	want := map[string]string{"mesures-fr-observation-body-weight": "71.5kg0", "mesures-fr-observation-bp": "2", "mesures-observation-glucose": "99.09mg/dL0"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("at the simulator: %v, want %v", got, want)
	}
}

// TestEndToEndMesuresCDA drops a structured CDA report in a folder whose
// source profile turns measurements on: the report is delivered as a
// document and its glucose result as a measurement, in mg/dL.
func TestEndToEndMesuresCDA(t *testing.T) {
	e := newMesuresE2E(t, freePort(t), []string{docbridge.ScopeDocuments, docbridge.ScopeMeasurements},
		"folders:\n  - {name: lab, path: drop, settle: 300ms, rescan: 1s}\n",
		"  - {name: lab, measurements: true, when: {intake: lab}}\n")
	cmd := e.start()
	cda, err := fs.ReadFile(samples.FS, "cr-bio-structured.xml")
	if err != nil {
		t.Fatal(err)
	}
	drop := filepath.Join(e.dir, "drop")
	os.MkdirAll(drop, 0o750)
	os.WriteFile(filepath.Join(drop, ".cr.xml.part"), cda, 0o600)
	os.Rename(filepath.Join(drop, ".cr.xml.part"), filepath.Join(drop, "cr.xml"))
	e.waitFor("the report and its measurement delivered", time.Minute, func() bool { return e.delivered() == 2 })
	stopDaemon(t, cmd)
	if n := e.sim.Count(); n != 1 {
		t.Errorf("the simulator holds %d documents, want the report", n)
	}
	ms := e.sim.Measurements()
	if len(ms) != 1 || !strings.HasSuffix(ms[0].Profile, "mesures-observation-glucose") || ms[0].Value+" "+ms[0].Unit != "91.88 mg/dL" {
		t.Errorf("measurements at the simulator: %+v", ms)
	}
}
