package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes/messim"
)

// runMESSim serves the strict MES simulator until interrupted. Patients
// given with --patients are registered; their pairings, tokens included,
// are written to --pairings-out for `docbridge pair import`.
func runMESSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("mes-sim", "mes-sim [--addr ADDR] [--data DIR] [--faults SPEC] [--latency D[±J]] [--patients FILE --pairings-out FILE] [--client ID=NAME]... [--tls-cert F --tls-key F]", stderr)
	addr := fs.String("addr", "127.0.0.1:8090", "listen `address`")
	patients := fs.String("patients", "", "pairings `file` (JSON array, tokens ignored) whose patients the simulator knows")
	out := fs.String("pairings-out", "", "write the pairings with the simulator's tokens to this `file`")
	data := fs.String("data", "", "keep received contents in `DIR` instead of memory")
	faults := fs.String("faults", "", "inject faults: fail-first:N:STATUS answers STATUS to the first N document requests; "+
		"lose-first:N handles the first N document requests, then cuts the connection without answering (MES's answer lost)")
	latency := fs.String("latency", "", "add `D[±J]` to every request, as a remote MES: 100ms, or 100ms±20ms (also 100ms+-20ms) for a delay spread uniformly over 80-120 ms")
	cert := fs.String("tls-cert", "", "serve HTTPS with this certificate `file`")
	key := fs.String("tls-key", "", "and this key `file`")
	var clients map[string]string
	fs.Func("client", "register the OAuth2 client `ID=NAME`: its consent page names the service NAME (pairing.client_id=pairing.service_name); "+
		"repeatable; without it any client id is accepted and shown as is", func(v string) error {
		id, name, ok := strings.Cut(v, "=")
		if !ok || strings.TrimSpace(id) == "" || strings.TrimSpace(name) == "" {
			return fmt.Errorf("want ID=NAME, as in docbridge=Laboratoire des charmes")
		}
		if clients == nil {
			clients = map[string]string{}
		}
		clients[strings.TrimSpace(id)] = strings.TrimSpace(name)
		return nil
	})
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*cert == "") != (*key == "") {
		return usageErrorf("--tls-cert and --tls-key go together")
	}
	maps, err := mappings.Load("")
	if err != nil {
		return fmt.Errorf("load mappings: %w", err)
	}
	o := messim.Options{Codes: maps, Dir: *data, Clients: clients}
	if *faults != "" {
		if err := parseFaults(*faults, &o); err != nil {
			return err
		}
	}
	if *latency != "" {
		if o.Latency, o.Jitter, err = parseLatency(*latency); err != nil {
			return err
		}
	}
	sim := messim.New(o)
	if *patients != "" {
		if err := registerPatients(sim, *patients, *out); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", *addr, err)
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if *cert != "" {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "MES simulator listening on %s://%s\n", scheme, ln.Addr())
	errc := make(chan error, 1)
	go func() {
		if *cert != "" {
			errc <- srv.ServeTLS(ln, *cert, *key)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintf(stdout, "MES simulator stopped: %d document(s), %d request(s)\n", sim.Count(), sim.Requests())
	return nil
}

func registerPatients(sim *messim.Server, in, out string) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return usageErrorf("read patients: %v", err)
	}
	var ps []docbridge.Pairing
	if err := json.Unmarshal(b, &ps); err != nil {
		return usageErrorf("patients %s: %v", in, err)
	}
	for i := range ps {
		ps[i].AccessToken = sim.AddPatient(ps[i].MESPatient, ps[i].Patient.INS, ps[i].Patient.INSSystem)
		sim.AddIdentity(ps[i].MESPatient, ps[i].Patient) // they can also pair through /oauth/authorize
	}
	if out == "" {
		return nil
	}
	b, _ = json.MarshalIndent(ps, "", "  ")
	if err := os.WriteFile(out, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write pairings: %w", err)
	}
	return nil
}

// parseFaults reads a --faults spec, fail-first:N:STATUS or lose-first:N,
// into o.
func parseFaults(spec string, o *messim.Options) error {
	var n, status int
	if strings.HasPrefix(spec, "lose-first:") {
		if _, err := fmt.Sscanf(spec, "lose-first:%d", &n); err != nil || n < 0 || spec != fmt.Sprintf("lose-first:%d", n) {
			return usageErrorf("--faults: %q is not lose-first:N", spec)
		}
		o.LoseAnswers = messim.LoseFirst(n)
		return nil
	}
	if _, err := fmt.Sscanf(spec, "fail-first:%d:%d", &n, &status); err != nil || n < 0 || status < 400 || status > 599 {
		return usageErrorf("--faults: %q is not fail-first:N:STATUS (STATUS 400-599) or lose-first:N", spec)
	}
	o.Faults = messim.FailFirst(n, status)
	return nil
}

// parseLatency reads a --latency spec, D or D±J (D+-J), as Go durations
// with 0 ≤ J ≤ D.
func parseLatency(spec string) (latency, jitter time.Duration, err error) {
	d, j, spread := strings.Cut(strings.Replace(spec, "+-", "±", 1), "±")
	latency, err = time.ParseDuration(d)
	if err == nil && spread {
		jitter, err = time.ParseDuration(j)
	}
	if err != nil || latency < 0 || jitter < 0 || jitter > latency {
		return 0, 0, usageErrorf("--latency: %q is not D or D±J (Go durations, 0 ≤ J ≤ D), e.g. 100ms±20ms", spec)
	}
	return latency, jitter, nil
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
