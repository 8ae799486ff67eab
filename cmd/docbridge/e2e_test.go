package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes/messim"
	"github.com/docbridge/docbridge/samples"
)

// e2e is one daemon under test: its directory, configuration and simulator.
type e2e struct {
	t   *testing.T
	dir string
	cfg string
	sim *messim.Server
	db  string // the PostgreSQL URL of the store; "" means SQLite in dir/data
}

func newE2E(t *testing.T) *e2e {
	return newE2EWith(t, messim.Options{})
}

func newE2EWith(t *testing.T, o messim.Options) *e2e {
	return newE2EServer(t, o, nil, "")
}

// newE2EServer starts a simulator — behind wrap when it is not nil — and
// writes a configuration for a daemon that delivers to it, with extra YAML
// appended; the sample patients are paired.
func newE2EServer(t *testing.T, o messim.Options, wrap func(http.Handler) http.Handler, extra string) *e2e {
	t.Helper()
	return newE2EOn(t, "", o, wrap, extra)
}

// newE2EOn is newE2EServer with the store on PostgreSQL at db (when not
// empty).
func newE2EOn(t *testing.T, db string, o messim.Options, wrap func(http.Handler) http.Handler, extra string) *e2e {
	t.Helper()
	maps, err := mappings.Load("")
	if err != nil {
		t.Fatal(err)
	}
	o.Codes = maps
	sim := messim.New(o)
	h := sim.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e := &e2e{t: t, dir: t.TempDir(), sim: sim, db: db}
	if db != "" {
		extra = fmt.Sprintf("database: %q\n", db) + extra
	}
	e.cfg = filepath.Join(e.dir, "docbridge.yaml")
	cfg := fmt.Sprintf(`environment: test
data: data
log: {level: info, format: json}
mes: {base_url: %q, response_timeout: 5s}
delivery: {retry_base: 100ms, retry_max: 1s, lease: 5s}
folders:
  - {name: drop, path: drop, settle: 300ms, rescan: 1s}
`, srv.URL) + extra
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

// start runs `docbridge serve` as a child process.
func (e *e2e) start() *exec.Cmd {
	e.t.Helper()
	return startChild(e.t, filepath.Join(e.dir, "daemon.log"), "serve", "-c", e.cfg)
}

// dropCopies drops n distinct copies of the sample lab report, each with its
// own document id, renamed into the drop folder. It returns their ids.
func (e *e2e) dropCopies(n int) map[string]bool {
	e.t.Helper()
	tmpl, err := fs.ReadFile(samples.FS, "cr-bio-n1-pdf.xml")
	if err != nil {
		e.t.Fatal(err)
	}
	m := regexp.MustCompile(`<id root="([0-9.]+)"`).FindSubmatchIndex(tmpl)
	if m == nil {
		e.t.Fatal("no document id in the sample")
	}
	root := string(tmpl[m[2]:m[3]])
	drop := filepath.Join(e.dir, "drop")
	os.MkdirAll(drop, 0o750)
	ids := map[string]bool{}
	for i := 0; i < n; i++ {
		newRoot := fmt.Sprintf("%s.%d", root, 1000+i)
		doc := append(append(append([]byte{}, tmpl[:m[2]]...), newRoot...), tmpl[m[3]:]...)
		name := fmt.Sprintf("report-%03d.xml", i)
		tmp := filepath.Join(drop, "."+name+".part")
		if err := os.WriteFile(tmp, doc, 0o600); err != nil {
			e.t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(drop, name)); err != nil {
			e.t.Fatal(err)
		}
		ids["urn:oid:"+newRoot] = true
	}
	return ids
}

// waitFor polls cond; the bound only stops a hung test.
func (e *e2e) waitFor(what string, limit time.Duration, cond func() bool) {
	e.t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
	e.t.Fatalf("timed out waiting for %s; simulator has %d; daemon log tail:\n%s", what, e.sim.Count(), tail(string(log), 3000))
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// check stops nothing; it reads the store and the simulator and compares
// waitListening waits until something accepts TCP connections on addr (a
// listener of the daemon).
func (e *e2e) waitListening(addr string) {
	e.waitFor("the listener on "+addr, time.Minute, func() bool {
		nc, err := net.Dial("tcp", addr)
		if err == nil {
			nc.Close()
		}
		return err == nil
	})
}

// them with the ids that were dropped.
func (e *e2e) check(ids map[string]bool) {
	e.t.Helper()
	e.checkDocs(ids, len(ids))
}

// checkDocs is check when only files of the documents came through the
// drop folder.
func (e *e2e) checkDocs(ids map[string]bool, files int) {
	e.t.Helper()
	if got, want := e.sim.Count(), len(ids); got != want {
		e.t.Errorf("simulator holds %d documents, want %d", got, want)
	}
	seen := map[string]int{}
	for _, d := range e.sim.Documents() {
		seen[d.UniqueID]++
	}
	for id := range ids {
		if seen[id] != 1 {
			e.t.Errorf("document %s is at the simulator %d times, want once", id, seen[id])
		}
	}
	st, err := e.openStore()
	if err != nil {
		e.t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Documents(context.Background(), store.Filter{})
	if err != nil {
		e.t.Fatal(err)
	}
	delivered := 0
	for _, r := range rows {
		if r.State == docbridge.Delivered {
			delivered++
		} else {
			e.t.Errorf("document %d is %s (%s: %s), want delivered", r.ID, r.State, r.Reason, r.Message)
		}
	}
	if delivered != len(ids) {
		e.t.Errorf("store has %d delivered documents, want %d", delivered, len(ids))
	}
	done, _ := os.ReadDir(filepath.Join(e.dir, "drop", "done"))
	if len(done) != files {
		e.t.Errorf("done/ holds %d files, want %d", len(done), files)
	}
	log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
	assertNoPatientData(e.t, string(log))
}

// assertNoPatientData fails when a log holds a trait of the sample patients.
func assertNoPatientData(t *testing.T, log string) {
	t.Helper()
	var ps []docbridge.Pairing
	b, _ := fs.ReadFile(samples.FS, "pairings.json")
	json.Unmarshal(b, &ps)
	for _, p := range ps {
		for _, secret := range append([]string{p.Patient.INS, p.Patient.BirthName, p.Patient.BirthDate}, p.Patient.FirstNames...) {
			if secret != "" && strings.Contains(log, secret) {
				t.Errorf("the daemon log holds patient data (%d bytes of it)", len(secret))
			}
		}
	}
}

func TestEndToEndHundredDocuments(t *testing.T) {
	e := newE2E(t)
	cmd := e.start()
	ids := e.dropCopies(100)
	e.waitFor("100 deliveries", 2*time.Minute, func() bool { return e.doneCount() == len(ids) && e.delivered() == len(ids) })
	stopDaemon(t, cmd)
	e.check(ids)
	e.checkAudit(ids)
}

// TestEndToEndKilledHalfway kills the daemon with SIGKILL while the 50th
// delivery request is in flight at the simulator, restarts it, and checks
// that every document reached MES exactly once.
func TestEndToEndKilledHalfway(t *testing.T) {
	var posts atomic.Int32
	inFlight := make(chan struct{})
	e := newE2EWith(t, messim.Options{Faults: func(r *http.Request) (int, bool) {
		if r.Method == http.MethodPost && posts.Add(1) == 50 {
			close(inFlight)
			time.Sleep(2 * time.Second) // the daemon is killed meanwhile
		}
		return 0, false
	}})
	cmd := e.start()
	ids := e.dropCopies(100)
	select {
	case <-inFlight:
	case <-time.After(2 * time.Minute):
		t.Fatal("the 50th delivery never came")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killedAt := e.sim.Count()
	cmd = e.start()
	e.waitFor("100 deliveries after the restart", 2*time.Minute, func() bool { return e.doneCount() == len(ids) && e.delivered() == len(ids) })
	stopDaemon(t, cmd)
	t.Logf("killed with %d of %d delivered; %d requests in all", killedAt, len(ids), e.sim.Requests())
	e.check(ids)
}

func (e *e2e) doneCount() int {
	entries, _ := os.ReadDir(filepath.Join(e.dir, "drop", "done"))
	return len(entries)
}

// delivered counts delivered documents in the daemon's store, read from this
// process while the daemon runs (SQLite WAL allows it).
func (e *e2e) delivered() int {
	st, err := e.openStore()
	if err != nil {
		return 0
	}
	defer st.Close()
	counts, err := st.Counts(context.Background())
	if err != nil {
		return 0
	}
	return counts[docbridge.Delivered]
}

// openStore opens the daemon's store from the test process, as an
// operator's command would while the daemon runs.
func (e *e2e) openStore() (*store.Store, error) {
	return store.Open(context.Background(), store.Options{Dir: filepath.Join(e.dir, "data"), Postgres: e.db})
}

// stopDaemon asks the daemon to stop, as systemd would, and waits.
func stopDaemon(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("daemon exit after SIGTERM: %v", err)
	}
}
