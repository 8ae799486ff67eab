package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/conformance"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/mes/messim"
)

// runConformance runs the référencement test book (internal/conformance)
// against the built-in simulator, or with -c against the configuration's
// MES test environment, and writes the report to --out. It exits 0 when
// every case passed, 1 when one did not, 2 on a usage or configuration
// error.
func runConformance(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("conformance", "conformance [-c FILE] [--out DIR] [--only pairing,documents,mesures,agenda] [--sim-refuse CASE[=STATUS]]...", stderr)
	cfgPath := fs.String("c", "", "run against the MES test environment of this configuration `file` (environment: test); default: docbridge's built-in MES simulator")
	out := fs.String("out", "conformance-report", "write "+conformance.HTMLName+" and "+conformance.JSONName+" to this `directory`")
	only := fs.String("only", "", "run only these `APIs`, comma-separated: pairing, documents, mesures, agenda (default: every API this build has cases for)")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up after this long (a MES test environment waits for the editor's consents)")
	refuse := map[string]int{}
	fs.Func("sim-refuse", "make the built-in simulator refuse every request of case `CASE[=STATUS]` (default status 422), to see a failure reported; repeatable", func(v string) error {
		id, st, _ := strings.Cut(v, "=")
		if _, ok := conformance.Lookup(conformance.Cases(), id); !ok {
			return fmt.Errorf("no case %q in the test book", id)
		}
		status := 422
		if st != "" {
			n, err := strconv.Atoi(st)
			if err != nil || n < 400 || n > 599 {
				return fmt.Errorf("status %q is not a 4xx or 5xx", st)
			}
			status = n
		}
		refuse[id] = status
		return nil
	})
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	apis, err := conformance.ParseAPIs(*only)
	if err != nil {
		return usageErrorf("--only: %v", err)
	}
	if *cfgPath != "" && len(refuse) > 0 {
		return usageErrorf("--sim-refuse works with the built-in simulator only, not with -c")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	var o conformance.Options
	if *cfgPath == "" {
		stop, err := conformanceSimulator(&o, refuse)
		if err != nil {
			return err
		}
		defer stop()
	} else {
		stop, err := conformanceTestEnvironment(&o, *cfgPath, stdout)
		if err != nil {
			return err
		}
		defer stop()
	}
	o.APIs, o.Progress = apis, stdout
	env := o.Environment
	fmt.Fprintf(stdout, "docbridge conformance %s: %s (%s)\n", env.Version, env.BaseURL, map[bool]string{true: "simulateur intégré", false: "environnement de test MES"}[env.Simulator])
	rep := conformance.Run(ctx, o)
	paths, err := rep.Write(*out)
	if err != nil {
		return err
	}
	c := rep.Counts
	fmt.Fprintf(stdout, "réussis %d, échoués %d, non applicables %d, non disponibles %d\nrapport : %s\n",
		c.Passed, c.Failed, c.NotApplicable, c.Unavailable, strings.Join(paths, ", "))
	if !rep.OK() {
		return errProblems
	}
	return nil
}

// conformanceSimulator starts the built-in simulator as demo does, with the
// test patient and the faults the book's cases (and --sim-refuse) ask for,
// and fills o for it. stop shuts it down.
func conformanceSimulator(o *conformance.Options, refuse map[string]int) (stop func(), err error) {
	maps, err := mappings.Load("")
	if err != nil {
		return nil, fmt.Errorf("load mappings: %w", err)
	}
	faults := conformance.SimFaults(conformance.Cases())
	for id, st := range refuse {
		faults[id] = st
	}
	const clientID = "docbridge"
	sim := messim.New(messim.Options{Codes: maps, Clients: map[string]string{clientID: "docbridge (cahier de tests)"},
		Faults: messim.FaultsByHeader(conformance.CaseHeader, faults)})
	sim.AddIdentity(conformance.SimulatorPatientID, conformance.SimulatorPatient)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start the MES simulator: %w", err)
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	base := "http://" + ln.Addr().String()

	rec, hc := recordingClient(nil)
	red := conformance.NewRedactor()
	red.Patient(conformance.SimulatorPatient)
	*o = conformance.Options{
		Environment: conformance.Environment{BaseURL: base, PairingURL: base, Simulator: true, Profile: mes.ProfileMESAPI, ClientID: clientID, Version: version()},
		Documents: mes.NewClient(mes.Options{BaseURL: base, HTTPClient: hc, UserAgent: "docbridge/" + version(),
			MeasureCanonicals: mappings.DefaultMeasureCanonicals()}),
		Pairing: mes.NewPairingClient(mes.PairingOptions{BaseURL: base, ClientID: clientID,
			RedirectURL: "http://127.0.0.1/conformance/callback", HTTPClient: hc, UserAgent: "docbridge/" + version(),
			Scopes: bookScopes}),
		Consent:  conformance.SimulatorConsent{HTTP: hc, Patient: conformance.SimulatorPatientID},
		Recorder: rec, Redactor: red,
	}
	return func() { srv.Close() }, nil
}

// bookScopes are the scopes the test book's pairing asks for: those of
// every API it has cases for.
var bookScopes = []string{docbridge.ScopeDocuments, docbridge.ScopeMeasurements, docbridge.ScopeAgenda}

// conformanceTestEnvironment fills o for the MES test environment of the
// configuration at path: its MES, TLS, profile and pairing client. The
// editor gives the consents in a browser (conformance.ManualConsent); when
// pairing.addr is free (serve is not running), the command receives MES's
// redirect to the callback there itself. stop closes that listener.
func conformanceTestEnvironment(o *conformance.Options, path string, stdout io.Writer) (stop func(), err error) {
	cfg, err := loadConfig(path)
	if err != nil {
		return nil, err
	}
	if cfg.Environment != "test" {
		return nil, usageErrorf("config %s: environment is %q: the test book files, replaces and deletes documents for a test patient, so it runs only with environment: test, against a MES test environment", path, cfg.Environment)
	}
	public, err := url.Parse(cfg.Pairing.PublicURL)
	if cfg.Pairing.PublicURL == "" || err != nil {
		return nil, usageErrorf("config %s: pairing.public_url (or pairing.addr) is required: MES sends the browser back to its /callback after the consent", path)
	}
	tc, err := mesTLS(cfg)
	if err != nil {
		return nil, usageErrorf("mes.tls: %v", err)
	}
	rec, hc := recordingClient(mes.NewHTTPClient(tc).Transport)
	cfg.MES.Scopes = bookScopes // the book's test patient grants every API it tries
	oc, err := newPairingClient(cfg, hc)
	if err != nil {
		return nil, err
	}
	consent := conformance.ManualConsent{Out: stdout, In: bufio.NewReader(os.Stdin)}
	stop = func() {}
	if cfg.Pairing.Addr != "" {
		if ln, err := net.Listen("tcp", cfg.Pairing.Addr); err != nil {
			fmt.Fprintf(stdout, "pairing.addr %s is in use (docbridge serve?): paste the callback addresses\n", cfg.Pairing.Addr)
		} else {
			got := make(chan *url.URL, 1)
			srv := &http.Server{Handler: conformance.CallbackHandler(public, got), ReadHeaderTimeout: 10 * time.Second}
			if cfg.Pairing.TLS.Cert != "" {
				go srv.ServeTLS(ln, cfg.Pairing.TLS.Cert, cfg.Pairing.TLS.Key)
			} else {
				go srv.Serve(ln)
			}
			consent.Callbacks, consent.Waiting = got, strings.TrimRight(cfg.Pairing.PublicURL, "/")+"/callback"
			stop = func() { srv.Close() }
		}
	}
	*o = conformance.Options{
		Environment: conformance.Environment{BaseURL: cfg.MES.BaseURL, PairingURL: cfg.Pairing.MESURL, Profile: cfg.MES.Profile,
			ClientID: cfg.Pairing.ClientID, Version: version()},
		Documents: mes.NewClient(mesOptions(cfg, hc)),
		Pairing:   oc,
		Consent:   consent,
		Recorder:  rec,
	}
	return stop, nil
}

// recordingClient is an HTTP client over a conformance.Recorder over next
// (nil: http.DefaultTransport) that does not follow redirects, as the MES
// clients and the consent need.
func recordingClient(next http.RoundTripper) (*conformance.Recorder, *http.Client) {
	rec := conformance.NewRecorder(next)
	return rec, &http.Client{Transport: rec, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
