package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes/messim"
)

// simulator is the strict MES simulator served by the harness on loopback,
// keeping contents in a directory (not in memory). It records when each
// document was received: the end of the handler of a POST answered 2xx,
// keyed by the document's uniqueId (read from the first bytes of the body,
// where masterIdentifier comes before the content).
type simulator struct {
	sim   *messim.Server
	srv   *http.Server
	url   string
	token string

	mu        sync.Mutex
	received  map[string]time.Time
	firstPost time.Time // when the first POST arrived, before any latency
	notify    chan string
}

var masterIDRe = regexp.MustCompile(`"masterIdentifier":\s*\{[^}]*"value":\s*"([^"]+)"`)

func startSimulator(dir string) (*simulator, error) {
	return startRemoteSimulator(dir, 0, 0)
}

// startRemoteSimulator is startSimulator with latency ± jitter added to
// every request (messim.Options.Latency), as a remote MES.
func startRemoteSimulator(dir string, latency, jitter time.Duration) (*simulator, error) {
	maps, err := mappings.Load("")
	if err != nil {
		return nil, fmt.Errorf("load mappings: %w", err)
	}
	s := &simulator{
		sim:      messim.New(messim.Options{Codes: maps, Dir: dir, Latency: latency, Jitter: jitter}),
		received: map[string]time.Time{},
		notify:   make(chan string, 1<<16),
	}
	s.token = s.sim.AddPatient(pairedPatient.MESPatient, pairedPatient.Patient.INS, pairedPatient.Patient.INSSystem)
	h := s.sim.Handler()
	wrapped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			h.ServeHTTP(w, r)
			return
		}
		s.mu.Lock()
		if s.firstPost.IsZero() {
			s.firstPost = time.Now()
		}
		s.mu.Unlock()
		peek := &headCapture{r: r.Body}
		r.Body = struct {
			io.Reader
			io.Closer
		}{peek, r.Body}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		at := time.Now()
		if sw.status >= 300 {
			return
		}
		if m := masterIDRe.FindSubmatch(peek.head.Bytes()); m != nil {
			id := string(m[1])
			s.mu.Lock()
			s.received[id] = at
			s.mu.Unlock()
			select {
			case s.notify <- id:
			default:
			}
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s.srv = &http.Server{Handler: wrapped, ReadHeaderTimeout: 10 * time.Second}
	s.url = "http://" + ln.Addr().String()
	go s.srv.Serve(ln)
	return s, nil
}

func (s *simulator) close() { s.srv.Close() }

// receivedAt returns when the document was received, if it was.
func (s *simulator) receivedAt(uid string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.received[uid]
	return t, ok
}

// waitAll waits until every uniqueId of uids was received, or timeout.
func (s *simulator) waitAll(uids []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		missing := 0
		s.mu.Lock()
		for _, u := range uids {
			if _, ok := s.received[u]; !ok {
				missing++
			}
		}
		s.mu.Unlock()
		if missing == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d documents not delivered after %s", missing, len(uids), timeout)
		}
		select {
		case <-s.notify:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// headCapture keeps the first 4 KiB read through it.
type headCapture struct {
	r    io.Reader
	head bytes.Buffer
}

func (h *headCapture) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if room := 4096 - h.head.Len(); room > 0 && n > 0 {
		h.head.Write(p[:min(n, room)])
	}
	return n, err
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

// pairedPatient is the sample patient of samples/pairings.json.
var pairedPatient = docbridge.Pairing{
	ID:         "pairing-docbridge-test-1",
	MESPatient: "mes-sim-patient-0001",
	Patient: docbridge.Patient{
		INS: "285047505612322", INSSystem: "urn:oid:1.2.250.1.213.1.4.10",
		BirthName: "DOCBRIDGE-TEST", FirstNames: []string{"CAMILLE", "MARIE-ANNE"},
		BirthDate: "1985-04-17", Sex: "F", BirthPlace: "75056",
	},
	CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
}

// daemon is one `docbridge serve` process with its own data directory.
type daemon struct {
	bin, dir, cfg, drop, mllpAddr string
	cmd                           *exec.Cmd
	log                           *os.File
}

// newDaemon writes the configuration of a daemon in dir delivering to sim,
// with a drop folder and an MLLP listener, and imports the pairing.
func newDaemon(ctx context.Context, bin, dir string, sim *simulator) (*daemon, error) {
	d, err := newUnpairedDaemon(bin, dir, sim, "")
	if err != nil {
		return nil, err
	}
	if err := d.pair(ctx, sim); err != nil {
		return nil, err
	}
	return d, nil
}

// newUnpairedDaemon is newDaemon without the pairing (see pair), with
// extra YAML appended to the configuration.
func newUnpairedDaemon(bin, dir string, sim *simulator, extra string) (*daemon, error) {
	d := &daemon{bin: bin, dir: dir, drop: filepath.Join(dir, "drop")}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	d.mllpAddr = port
	for _, sub := range []string{"drop", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	d.cfg = filepath.Join(dir, "docbridge.yaml")
	cfg := fmt.Sprintf(`environment: test
data: data
log: {level: info, format: json}
mes: {base_url: %q, response_timeout: 120s}
limits: {max_input_bytes: 536870912}
folders:
  - {name: drop, path: drop, settle: 2s, rescan: 30s, concurrency: %d}
mllp:
  - {name: lis, addr: %q}
`, sim.url, folderConcurrency, d.mllpAddr) + extra
	if err := os.WriteFile(d.cfg, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	return d, nil
}

// pair imports the pairing of the patient of the generated documents,
// with sim's token (`docbridge pair import`).
func (d *daemon) pair(ctx context.Context, sim *simulator) error {
	p := pairedPatient
	p.AccessToken = sim.token
	b, _ := json.Marshal([]docbridge.Pairing{p})
	pf := filepath.Join(d.dir, "pairings.json")
	if err := os.WriteFile(pf, b, 0o600); err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, d.bin, "pair", "import", "-c", d.cfg, pf).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pair import: %w: %s", err, out)
	}
	return nil
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start runs `docbridge serve` and waits until its MLLP listener answers.
func (d *daemon) start() error {
	f, err := os.OpenFile(filepath.Join(d.dir, "daemon.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	d.log = f
	d.cmd = exec.Command(d.bin, "serve", "-c", d.cfg)
	d.cmd.Stdout, d.cmd.Stderr = f, f
	if err := d.cmd.Start(); err != nil {
		return fmt.Errorf("start serve: %w", err)
	}
	if err := waitListening(d.mllpAddr); err != nil {
		d.stop()
		return fmt.Errorf("serve did not start (log in %s): %w", f.Name(), err)
	}
	return nil
}

func dialOK(addr string) bool {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// stop interrupts the daemon and waits for it.
func (d *daemon) stop() {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	// A daemon started in its own process group (under strace) is
	// stopped with its whole group: the tracer and the traced daemon.
	group := d.cmd.SysProcAttr != nil && d.cmd.SysProcAttr.Setpgid
	signal := func(sig syscall.Signal) {
		if group {
			syscall.Kill(-d.cmd.Process.Pid, sig)
		} else {
			d.cmd.Process.Signal(sig)
		}
	}
	signal(syscall.SIGINT)
	done := make(chan struct{})
	go func() { d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		signal(syscall.SIGKILL)
		<-done
	}
	d.log.Close()
}

// cpu returns the CPU time (user + system) the daemon has used so far,
// from /proc/<pid>/stat (clock ticks of 10 ms, USER_HZ on Linux).
func (d *daemon) cpu() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", d.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: state is field 3, utime 14, stime 15.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", d.cmd.Process.Pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", d.cmd.Process.Pid)
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// status reads a field in kB of /proc/<pid>/status (VmHWM, VmRSS) in bytes.
func (d *daemon) status(field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, d.cmd.Process.Pid)
}

// dropFile writes doc to a hidden temp name in the drop folder, then
// renames it to name; it returns the rename time (the drop time).
func (d *daemon) dropFile(name string, doc []byte) (time.Time, error) {
	if err := d.stage(name, doc); err != nil {
		return time.Time{}, err
	}
	return d.publish(name)
}

// stage writes doc under the hidden temp name of name in the drop folder.
func (d *daemon) stage(name string, doc []byte) error {
	return os.WriteFile(filepath.Join(d.drop, "."+name+".part"), doc, 0o600)
}

// publish renames the staged name into the drop folder and returns the
// rename time.
func (d *daemon) publish(name string) (time.Time, error) {
	at := time.Now()
	return at, os.Rename(filepath.Join(d.drop, "."+name+".part"), filepath.Join(d.drop, name))
}
