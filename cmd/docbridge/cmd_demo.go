package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/sync/errgroup"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes/messim"
	"github.com/docbridge/docbridge/samples"
)

// expectation is one entry of samples/expected.json.
type expectation struct {
	File   string           `json:"file"`
	State  docbridge.State  `json:"state"`
	Reason docbridge.Reason `json:"reason"`
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := newFlags("demo", "demo [--data DIR] [--timeout D] [--console ADDR]", stderr)
	data := fset.String("data", "", "the data `directory`, as for serve and the operator commands: the store and content, with the drop folder in DIR/drop (default: a temporary directory)")
	timeout := fset.Duration("timeout", time.Minute, "give up when the samples have not settled after this long")
	verbose := fset.Bool("v", false, "show the daemon's log")
	console := fset.String("console", "", "also serve the admin console, /metrics and health on `ADDR` (e.g. 127.0.0.1:8080), and keep running after the samples settle until interrupted")
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	dir := *data
	if dir == "" {
		tmp, err := os.MkdirTemp("", "docbridge-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	logLevel := "error"
	if *verbose {
		logLevel = "info"
	}
	log, _ := newLogger(stderr, "console", logLevel)

	maps, err := mappings.Load("")
	if err != nil {
		return fmt.Errorf("load mappings: %w", err)
	}
	sim := messim.New(messim.Options{Codes: maps})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("start the MES simulator: %w", err)
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	cfg := &Config{
		Environment: "test", Data: dir, TimeZone: "Europe/Paris",
		MES:     MESConfig{Profile: "mes-api", BaseURL: "http://" + ln.Addr().String()},
		Folders: []FolderConfig{{Name: "demo", Path: filepath.Join(dir, "drop"), Settle: 500 * time.Millisecond}},
	}
	cfg.Delivery.RetryBase = 200 * time.Millisecond
	if cfg.Profiles, err = sampleProfiles(); err != nil {
		return err
	}
	password, err := demoConsole(cfg, *console)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, log, "demo")
	if err != nil {
		return err
	}
	defer a.Close()
	if err := pairDemoPatients(ctx, a.store, sim); err != nil {
		return err
	}
	var expected []expectation
	if err := readSampleJSON("expected.json", &expected); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "docbridge demo: MES simulator at %s, data in %s\n", cfg.MES.BaseURL, dir)

	runCtx, stop := context.WithCancel(ctx)
	g, runCtx := errgroup.WithContext(runCtx)
	g.Go(func() error { return a.Run(runCtx) })
	outcomes, ferr := feedSamples(runCtx, a.store, convert.Options{Mappings: maps}, cfg.Folders[0].Path, expected, *timeout)
	if *console != "" && ferr == nil {
		lingerWithConsole(runCtx, stdout, *console, password)
	}
	stop()
	if err := g.Wait(); err != nil {
		return err
	}
	if ferr != nil {
		return ferr
	}
	ok := true
	for _, e := range expected {
		got := outcomes[e.File]
		mark := "ok  "
		if got.State != e.State || got.Reason != e.Reason {
			mark, ok = "FAIL", false
		}
		fmt.Fprintf(stdout, "%s %-34s %-10s %-20s %s\n", mark, e.File, got.State, orDash(string(got.Reason)), got.detail)
		if mark == "FAIL" {
			fmt.Fprintf(stdout, "     expected %s %s\n", e.State, orDash(string(e.Reason)))
		}
	}
	fmt.Fprintf(stdout, "MES simulator holds %d document(s) for %d request(s)\n", sim.Count(), sim.Requests())
	if !ok {
		return errProblems
	}
	fmt.Fprintln(stdout, "every sample reached the state expected of it")
	return nil
}

// pairDemoPatients registers the sample patients with the simulator and
// stores the resulting pairings, tokens included.
func pairDemoPatients(ctx context.Context, st *store.Store, sim *messim.Server) error {
	var ps []docbridge.Pairing
	if err := readSampleJSON("pairings.json", &ps); err != nil {
		return err
	}
	for _, p := range ps {
		p.AccessToken = sim.AddPatient(p.MESPatient, p.Patient.INS, p.Patient.INSSystem)
		p.CreatedAt = time.Now().UTC()
		if err := st.PutPairing(ctx, p); err != nil {
			return fmt.Errorf("store pairing %s: %w", p.ID, err)
		}
	}
	return nil
}

// sampleProfiles are the source profiles of the example configuration
// samples/docbridge.yaml: the demo lab's, for its bare-PDF ORU^R01.
func sampleProfiles() (docbridge.Profiles, error) {
	b, err := fs.ReadFile(samples.FS, "docbridge.yaml")
	if err != nil {
		return nil, fmt.Errorf("read sample docbridge.yaml: %w", err)
	}
	var c struct {
		Profiles docbridge.Profiles `yaml:"profiles"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("sample docbridge.yaml: %w", err)
	}
	return c.Profiles, nil
}

func readSampleJSON(name string, v any) error {
	b, err := fs.ReadFile(samples.FS, name)
	if err != nil {
		return fmt.Errorf("read sample %s: %w", name, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("sample %s: %w", name, err)
	}
	return nil
}

// outcome is where a sample ended.
type sampleOutcome struct {
	State  docbridge.State
	Reason docbridge.Reason
	detail string
}

// feedSamples drops the samples into the folder — originals first, then the
// replacements once what they replace has settled — and waits for each to
// settle.
func feedSamples(ctx context.Context, st *store.Store, co convert.Options, drop string, expected []expectation, timeout time.Duration) (map[string]sampleOutcome, error) {
	var first, second []string
	for _, e := range expected {
		raw, err := fs.ReadFile(samples.FS, e.File)
		if err != nil {
			return nil, fmt.Errorf("read sample %s: %w", e.File, err)
		}
		if _, docs, err := convert.New(co).Convert(bytes.NewReader(raw), int64(len(raw)), docbridge.Origin{}); err == nil && len(docs) > 0 && docs[0].Action == docbridge.Replace {
			second = append(second, e.File)
		} else {
			first = append(first, e.File)
		}
	}
	out := map[string]sampleOutcome{}
	deadline := time.Now().Add(timeout)
	for _, wave := range [][]string{first, second} {
		sort.Strings(wave)
		for _, name := range wave {
			if err := dropFile(drop, name); err != nil {
				return nil, err
			}
		}
		for _, name := range wave {
			o, err := waitSettled(ctx, st, name, deadline)
			if err != nil {
				return nil, err
			}
			out[name] = o
		}
	}
	// A replacement supersedes what it replaced: read every outcome again.
	for name := range out {
		o, err := waitSettled(ctx, st, name, deadline)
		if err != nil {
			return nil, err
		}
		out[name] = o
	}
	return out, nil
}

// dropFile writes a sample under a temporary name and renames it into the
// drop folder, as the drop-folder contract asks; a PDF's sidecar goes
// first.
func dropFile(drop, name string) error {
	if stem, ok := strings.CutSuffix(name, ".pdf"); ok {
		if _, err := fs.Stat(samples.FS, stem+".json"); err == nil {
			if err := dropFile(drop, stem+".json"); err != nil {
				return err
			}
		}
	}
	raw, err := fs.ReadFile(samples.FS, name)
	if err != nil {
		return err
	}
	tmp := filepath.Join(drop, "."+name+".part")
	if err := os.WriteFile(tmp, raw, 0o640); err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	return os.Rename(tmp, filepath.Join(drop, path.Base(name)))
}

// waitSettled waits until the input of a sample and all its documents are in
// a state that no stage will change on its own.
func waitSettled(ctx context.Context, st *store.Store, name string, deadline time.Time) (sampleOutcome, error) {
	raw, err := fs.ReadFile(samples.FS, name)
	if err != nil {
		return sampleOutcome{}, err
	}
	for {
		o, settled, err := sampleState(ctx, st, raw)
		if err != nil {
			return o, err
		}
		if settled {
			return o, nil
		}
		if time.Now().After(deadline) {
			return o, fmt.Errorf("%s has not settled in time (state %s %s)", name, o.State, o.Reason)
		}
		select {
		case <-ctx.Done():
			return o, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func sampleState(ctx context.Context, st *store.Store, raw []byte) (sampleOutcome, bool, error) {
	in, err := st.InputBySHA256(ctx, sha256Hex(raw))
	if errors.Is(err, store.ErrNotFound) {
		return sampleOutcome{State: "not yet taken"}, false, nil
	}
	if err != nil {
		return sampleOutcome{}, false, err
	}
	switch in.State {
	case docbridge.Failed:
		return sampleOutcome{State: in.State, Reason: in.Reason, detail: in.Message}, true, nil
	case docbridge.Received:
		return sampleOutcome{State: in.State}, false, nil
	}
	rows, err := st.Documents(ctx, store.Filter{InputID: in.ID})
	if err != nil || len(rows) == 0 {
		return sampleOutcome{State: in.State}, false, err
	}
	r := rows[0]
	o := sampleOutcome{State: r.State, Reason: r.Reason, detail: fmt.Sprintf("doc %d", r.ID)}
	if r.MESID != "" {
		o.detail += " mes-id " + r.MESID
	}
	if r.Message != "" && r.State != docbridge.Delivered {
		o.detail += ": " + r.Message
	}
	settled := r.State.Final() || r.State == docbridge.Review ||
		(r.State == docbridge.Held && (r.Reason == docbridge.NotPaired || r.Reason == docbridge.PairingRevoked))
	return o, settled, nil
}
