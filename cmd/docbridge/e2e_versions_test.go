package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/internal/store/storetest"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/mes/messim"
	"github.com/docbridge/docbridge/samples"
)

// Documents of the samples these tests chain versions between.
const (
	structuredID = "urn:oid:1.2.250.1.999.42.1.1002" // cr-bio-structured.xml, patient 1
	replaceID    = "urn:oid:1.2.250.1.999.42.1.1004" // cr-bio-replace.xml, replaces it
	unpairedID   = "urn:oid:1.2.250.1.999.42.1.1008" // held-unpaired-patient.xml, patient 2
	docrefID     = "urn:oid:1.2.250.1.999.42.1.1201" // docref-iti105.json, patient 1
)

// slowRetries makes the daemon wait about 8 s before retrying a delivery,
// so that a test can act while a document waits for its retry.
func (e *e2e) slowRetries() {
	e.t.Helper()
	b, err := os.ReadFile(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	cfg := strings.Replace(string(b), "retry_base: 100ms, retry_max: 1s", "retry_base: 8s, retry_max: 8s", 1)
	if cfg == string(b) {
		e.t.Fatal("no delivery section to change in the e2e configuration")
	}
	os.WriteFile(e.cfg, []byte(cfg), 0o600)
}

// simDoc returns what the simulator holds under uniqueId.
func (e *e2e) simDoc(uniqueID string) (messim.Stored, bool) {
	for _, d := range e.sim.Documents() {
		if d.UniqueID == uniqueID {
			return d, true
		}
	}
	return messim.Stored{}, false
}

// rowsOf returns the daemon's versions of uniqueId.
func (e *e2e) rowsOf(uniqueID string) []store.DocRow {
	e.t.Helper()
	st, err := e.openStore()
	if err != nil {
		e.t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Documents(context.Background(), store.Filter{UniqueID: uniqueID})
	if err != nil {
		e.t.Fatal(err)
	}
	return rows
}

// pairSamplePatient pairs, at the simulator and in the daemon's store, the
// patient of a sample document, read by inspect.
func (e *e2e) pairSamplePatient(sample, id, mesPatient string) {
	e.t.Helper()
	b, _ := fs.ReadFile(samples.FS, sample)
	f := filepath.Join(e.dir, "inspect-"+sample)
	os.WriteFile(f, b, 0o600)
	res, _ := inspectJSON(e.t, "--env", "test", f)
	if len(res) != 1 || len(res[0].Documents) != 1 {
		e.t.Fatalf("inspect %s: %+v", sample, res)
	}
	p := res[0].Documents[0].Patient
	pairing := docbridge.Pairing{ID: id, MESPatient: mesPatient, Patient: p, CreatedAt: time.Now().UTC(),
		AccessToken: e.sim.AddPatient(mesPatient, p.INS, p.INSSystem)}
	pf := filepath.Join(e.dir, id+".json")
	b, _ = json.Marshal([]docbridge.Pairing{pairing})
	os.WriteFile(pf, b, 0o600)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"pair", "import", "-c", e.cfg, pf}, &out, &out); err != nil {
		e.t.Fatalf("pair import: %v\n%s", err, out.String())
	}
}

// TestEndToEndLostAnswerThenReplacement: version 1 reaches MES but MES's
// answer is lost (the connection is cut after MES committed it); version
// 2, replacing it, arrives before version 1 is retried. MES ends with one
// current version, version 2, and version 1 superseded — under both
// profiles.
func TestEndToEndLostAnswerThenReplacement(t *testing.T) {
	for _, profile := range []string{mes.ProfileMESAPI, mes.ProfilePDSm} {
		t.Run(profile, func(t *testing.T) {
			e := newE2EWith(t, messim.Options{LoseAnswers: messim.LoseFirst(1)})
			if profile == mes.ProfilePDSm {
				e.usePDSm()
			}
			e.slowRetries()
			cmd := e.start()
			e.dropSample("cr-bio-structured.xml", nil)
			e.waitFor("version 1 held after its lost answer", time.Minute, func() bool {
				return e.countIn(docbridge.Held, docbridge.MESUnavailable) == 1
			})
			if d, ok := e.simDoc(structuredID); !ok || d.Status != "current" {
				t.Fatalf("the simulator did not commit version 1 before losing its answer: %+v", d)
			}
			e.dropSample("cr-bio-replace.xml", nil)
			e.waitFor("version 2 delivered", time.Minute, func() bool {
				d, ok := e.simDoc(replaceID)
				return ok && d.Status == "current" && e.delivered() == 1 && e.countIn(docbridge.Superseded, "") == 1
			})
			stopDaemon(t, cmd)

			current := 0
			for _, d := range e.sim.Documents() {
				if d.Status == "current" {
					current++
				}
			}
			v1, _ := e.simDoc(structuredID)
			v2, _ := e.simDoc(replaceID)
			if current != 1 || v1.Status != "superseded" || v2.Replaces != structuredID {
				t.Errorf("simulator: %d current, version 1 %s, version 2 replaces %q; want only version 2 current, replacing version 1", current, v1.Status, v2.Replaces)
			}
			if got := e.sim.Count(); got != 2 {
				t.Errorf("simulator created %d documents, want 2", got)
			}
			// Version 1 (answer lost), version 1 again ("already there"),
			// version 2: nothing more.
			if got := e.sim.Requests(); got != 3 {
				t.Errorf("the simulator got %d document requests, want 3", got)
			}
			log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
			assertNoPatientData(t, string(log))
		})
	}
}

// TestEndToEndReplacementAcrossPatients: a replacement for patient 1 that
// names patient 2's held document stops in review (version-conflict);
// patient 2's document is delivered once patient 2 pairs, and the
// replacement never reaches MES.
func TestEndToEndReplacementAcrossPatients(t *testing.T) {
	e := newE2E(t)
	cmd := e.start()
	e.dropSample("held-unpaired-patient.xml", nil)
	e.waitFor("patient 2's document held", time.Minute, func() bool { return e.countIn(docbridge.Held, docbridge.NotPaired) == 1 })
	e.dropSample("cr-bio-replace.xml", func(b []byte) []byte {
		return bytes.Replace(b, []byte(`<id root="1.2.250.1.999.42.1.1002"/>`), []byte(`<id root="1.2.250.1.999.42.1.1008"/>`), 1)
	})
	e.waitFor("the replacement in review", time.Minute, func() bool { return e.countIn(docbridge.Review, docbridge.VersionConflict) == 1 })
	e.pairSamplePatient("held-unpaired-patient.xml", "pairing-docbridge-test-2", "mes-sim-patient-0002")
	e.waitFor("patient 2's document delivered", time.Minute, func() bool { return e.delivered() == 1 })
	stopDaemon(t, cmd)

	if d, ok := e.simDoc(unpairedID); !ok || d.Status != "current" || d.Patient != "mes-sim-patient-0002" {
		t.Errorf("patient 2's document at the simulator: %+v (found %v), want current for patient 2", d, ok)
	}
	if _, ok := e.simDoc(replaceID); ok || e.sim.Count() != 1 {
		t.Errorf("the simulator holds %d documents (the replacement: %v), want only patient 2's", e.sim.Count(), ok)
	}
	r := e.rowsOf(replaceID)
	if len(r) != 1 || !strings.Contains(r[0].Message, "another patient") || !strings.Contains(r[0].Message, "1.2.250.1.999.42.1.1008") {
		t.Errorf("replacement rows %+v, want one in review naming the other patient's document", r)
	}
	log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
	assertNoPatientData(t, string(log))
}

// TestEndToEndDeletionAcrossPatients: a deletion for patient 1 naming
// patient 2's delivered document stops in review; nothing is deleted, at
// MES or here, and no delete request is sent.
func TestEndToEndDeletionAcrossPatients(t *testing.T) {
	e := newE2E(t)
	e.pairSamplePatient("held-unpaired-patient.xml", "pairing-docbridge-test-2", "mes-sim-patient-0002")
	cmd := e.start()
	e.dropSample("held-unpaired-patient.xml", nil)
	e.waitFor("patient 2's document delivered", time.Minute, func() bool { return e.delivered() == 1 })

	// A PDF and its sidecar: a deletion, for patient 1, of patient 2's document.
	var sc map[string]any
	b, _ := fs.ReadFile(samples.FS, "cr-bio-sidecar.json")
	if err := json.Unmarshal(b, &sc); err != nil {
		t.Fatal(err)
	}
	sc["uniqueId"], sc["action"] = unpairedID, "delete"
	delete(sc, "setId")
	delete(sc, "versionNumber")
	b, _ = json.Marshal(sc)
	pdf, _ := fs.ReadFile(samples.FS, "cr-bio-sidecar.pdf")
	drop := filepath.Join(e.dir, "drop")
	for name, body := range map[string][]byte{"withdraw.json": b, "withdraw.pdf": pdf} {
		os.WriteFile(filepath.Join(drop, "."+name+".part"), body, 0o600)
		os.Rename(filepath.Join(drop, "."+name+".part"), filepath.Join(drop, name))
	}
	e.waitFor("the deletion in review", time.Minute, func() bool { return e.countIn(docbridge.Review, docbridge.VersionConflict) == 1 })
	stopDaemon(t, cmd)

	d, ok := e.simDoc(unpairedID)
	if !ok || d.Status != "current" || strings.Join(d.History, ",") != "create" {
		t.Errorf("patient 2's document at the simulator: %+v, want current and never deleted", d)
	}
	if got := e.sim.Requests(); got != 1 {
		t.Errorf("the simulator got %d document requests, want 1 (no delete)", got)
	}
	for _, r := range e.rowsOf(unpairedID) {
		want := docbridge.Delivered
		if r.Doc.Action == docbridge.Delete {
			want = docbridge.Review
		}
		if r.State != want {
			t.Errorf("%s version is %s (%s: %s), want %s", r.Doc.Action, r.State, r.Reason, r.Message, want)
		}
	}
}

// TestEndToEndReplacementByServerID: a FHIR DocumentReference replacing
// the version MES calls DocumentReference/<id> replaces the right document
// at MES; one naming an id docbridge never delivered stops in review as a
// replacement.
func TestEndToEndReplacementByServerID(t *testing.T) {
	for _, profile := range []string{mes.ProfileMESAPI, mes.ProfilePDSm} {
		t.Run(profile, func(t *testing.T) {
			e := newE2E(t)
			if profile == mes.ProfilePDSm {
				e.usePDSm()
			}
			cmd := e.start()
			e.dropSample("docref-iti105.json", nil)
			e.waitFor("version 1 delivered", time.Minute, func() bool { return e.delivered() == 1 })
			v1, _ := e.simDoc(docrefID)

			version := func(n, target string) func([]byte) []byte {
				return func(b []byte) []byte {
					var dr map[string]any
					if err := json.Unmarshal(b, &dr); err != nil {
						t.Fatal(err)
					}
					dr["masterIdentifier"] = map[string]any{"system": "urn:ietf:rfc:3986", "value": docrefID + n}
					dr["relatesTo"] = []any{map[string]any{"code": "replaces", "target": map[string]any{"reference": target}}}
					out, _ := json.Marshal(dr)
					return out
				}
			}
			e.dropSample("docref-iti105.json", version("2", "DocumentReference/"+v1.MESID))
			e.waitFor("version 2 delivered", time.Minute, func() bool {
				d, ok := e.simDoc(docrefID + "2")
				return ok && d.Status == "current" && e.delivered() == 1 && e.countIn(docbridge.Superseded, "") == 1
			})
			b, _ := fs.ReadFile(samples.FS, "docref-iti105.json")
			os.WriteFile(filepath.Join(e.dir, "drop", "unknown.json"), version("3", "DocumentReference/dr-00000000000000ff")(b), 0o600)
			e.waitFor("the unresolved replacement in review", time.Minute, func() bool {
				return e.countIn(docbridge.Review, docbridge.VersionConflict) == 1
			})
			stopDaemon(t, cmd)

			v1, _ = e.simDoc(docrefID)
			v2, _ := e.simDoc(docrefID + "2")
			if v1.Status != "superseded" || v2.Replaces != docrefID {
				t.Errorf("simulator: version 1 %s, version 2 replaces %q; want version 1 superseded by version 2", v1.Status, v2.Replaces)
			}
			if _, ok := e.simDoc(docrefID + "3"); ok {
				t.Error("the replacement naming an unknown MES id reached the simulator")
			}
			if r := e.rowsOf(docrefID + "3"); len(r) != 1 || r[0].Doc.Action != docbridge.Replace {
				t.Errorf("unresolved replacement rows %+v, want one replacement", r)
			}
		})
	}
}

// lostThenReplaced drops reports first versions, half of whose answers
// the simulator loses, then their replacements once every first version
// was sent, and waits until the store has every replacement delivered and
// every first version superseded.
func (e *e2e) lostThenReplaced(reports int, sent *atomic.Int64) {
	e.t.Helper()
	copyOf := func(i int) func([]byte) []byte {
		return func(b []byte) []byte {
			for _, id := range []string{"1.2.250.1.999.42.1.1002", "1.2.250.1.999.42.1.1004", "1.2.250.1.999.42.2.1002"} {
				b = bytes.ReplaceAll(b, []byte(id+`"`), []byte(fmt.Sprintf("%s.%d\"", id, i)))
			}
			return b
		}
	}
	drop := filepath.Join(e.dir, "drop")
	os.MkdirAll(drop, 0o750)
	put := func(sample string, i int) {
		b, _ := fs.ReadFile(samples.FS, sample)
		name := fmt.Sprintf("%d-%s", i, sample)
		os.WriteFile(filepath.Join(drop, "."+name+".part"), copyOf(i)(b), 0o600)
		os.Rename(filepath.Join(drop, "."+name+".part"), filepath.Join(drop, name))
	}
	for i := range reports {
		put("cr-bio-structured.xml", i)
	}
	e.waitFor("every first version sent once", time.Minute, func() bool { return sent.Load() >= int64(reports) })
	for i := range reports {
		put("cr-bio-replace.xml", i)
	}
	e.waitFor("every replacement delivered", 2*time.Minute, func() bool {
		return e.delivered() == reports && e.inState(docbridge.Superseded) == reports
	})
}

// inState counts the daemon's documents in state, on its store (SQLite or
// PostgreSQL).
func (e *e2e) inState(state docbridge.State) int {
	st, err := e.openStore()
	if err != nil {
		return 0
	}
	defer st.Close()
	counts, err := st.Counts(context.Background())
	if err != nil {
		return 0
	}
	return counts[state]
}

// loseHalfOfFirst loses the answers to the odd ones among the first n
// document requests, and counts them in sent.
func loseHalfOfFirst(n int64, sent *atomic.Int64) messim.LoseFunc {
	return func(r *http.Request) bool {
		if r.Method != http.MethodPost && r.Method != http.MethodDelete {
			return false
		}
		k := sent.Add(1)
		return k <= n && k%2 == 1
	}
}

// checkOneCurrentEach checks that the simulator holds, for each report,
// its replacement current and its first version superseded, and nothing
// else.
func (e *e2e) checkOneCurrentEach(reports int) {
	e.t.Helper()
	current, superseded := 0, 0
	for _, d := range e.sim.Documents() {
		switch {
		case d.Status == "current" && strings.HasPrefix(d.UniqueID, replaceID+".") && strings.HasPrefix(d.Replaces, structuredID+"."):
			current++
		case d.Status == "superseded" && strings.HasPrefix(d.UniqueID, structuredID+"."):
			superseded++
		default:
			e.t.Errorf("the simulator holds %s %s (replacing %q)", d.Status, d.UniqueID, d.Replaces)
		}
	}
	if current != reports || superseded != reports {
		e.t.Errorf("simulator: %d current replacements and %d superseded first versions, want %d of each", current, superseded, reports)
	}
}

// TestEndToEndLostAnswersThenReplacements: twenty reports; MES's answers
// to half of their first versions are lost; their replacements arrive
// before the retries. MES ends with exactly one current version of each
// report, the replacement, and no document was sent more than the lost
// answers call for.
func TestEndToEndLostAnswersThenReplacements(t *testing.T) {
	const reports = 20
	var sent atomic.Int64
	e := newE2EWith(t, messim.Options{LoseAnswers: loseHalfOfFirst(reports, &sent)})
	e.slowRetries()
	cmd := e.start()
	e.lostThenReplaced(reports, &sent)
	stopDaemon(t, cmd)
	e.checkOneCurrentEach(reports)
	want := reports + reports/2 + reports // first versions, resends of the lost ones, replacements
	t.Logf("FIGURES lost-answers-then-replacements: reports=%d lost=%d requests=%d", reports, reports/2, e.sim.Requests())
	if got := e.sim.Requests(); got != want {
		t.Errorf("the simulator got %d document requests, want %d", got, want)
	}
}

// TestEndToEndLostAnswersThenReplacementsScaleOut is the same with two
// `docbridge serve` instances sharing one PostgreSQL store (leases): an
// instance never supersedes or overtakes a version the other may be
// sending. Two instances may both retry one lost version (MES answers
// "already there" to the second), so requests are only bounded.
func TestEndToEndLostAnswersThenReplacementsScaleOut(t *testing.T) {
	db := storetest.Postgres(t)
	const reports, instances = 20, 2
	var sent atomic.Int64
	e := newE2EOn(t, db, messim.Options{LoseAnswers: loseHalfOfFirst(reports, &sent)}, nil, "")
	e.slowRetries()
	base, err := os.ReadFile(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	cmds := make([]*exec.Cmd, instances)
	for i := range instances {
		cfg := filepath.Join(e.dir, fmt.Sprintf("docbridge-%d.yaml", i))
		os.WriteFile(cfg, append(append([]byte{}, base...), fmt.Sprintf("instance: node%d\n", i)...), 0o600)
		cmds[i] = startChild(t, filepath.Join(e.dir, fmt.Sprintf("daemon-%d.log", i)), "serve", "-c", cfg)
	}
	e.lostThenReplaced(reports, &sent)
	for _, cmd := range cmds {
		stopDaemon(t, cmd)
	}
	e.checkOneCurrentEach(reports)
	t.Logf("FIGURES lost-answers-then-replacements scale-out: instances=%d reports=%d lost=%d requests=%d", instances, reports, reports/2, e.sim.Requests())
	if got, most := e.sim.Requests(), 2*reports+reports; got > most {
		t.Errorf("the simulator got %d document requests, want at most %d", got, most)
	}
}

// TestEndToEndReplacementBeforeItsOriginal: a replacement arrives and its
// original never did; docbridge asks MES (the profile's search), which
// holds no such version, so the replacement goes as a new document instead
// of being refused. The original, arriving later, is never sent.
func TestEndToEndReplacementBeforeItsOriginal(t *testing.T) {
	for _, profile := range []string{mes.ProfileMESAPI, mes.ProfilePDSm} {
		t.Run(profile, func(t *testing.T) {
			e := newE2E(t)
			if profile == mes.ProfilePDSm {
				e.usePDSm()
			}
			cmd := e.start()
			e.dropSample("cr-bio-replace.xml", nil)
			e.waitFor("the replacement delivered", time.Minute, func() bool { return e.delivered() == 1 })
			e.dropSample("cr-bio-structured.xml", nil)
			e.waitFor("the late original retired", time.Minute, func() bool { return e.countIn(docbridge.Superseded, "") == 1 })
			stopDaemon(t, cmd)

			if d, ok := e.simDoc(replaceID); !ok || d.Status != "current" || d.Replaces != "" {
				t.Errorf("replacement at the simulator: %+v (found %v), want current as a new document", d, ok)
			}
			if _, ok := e.simDoc(structuredID); ok || e.sim.Requests() != 1 {
				t.Errorf("the late original reached the simulator (%v), or %d requests were sent, want 1", ok, e.sim.Requests())
			}
		})
	}
}
