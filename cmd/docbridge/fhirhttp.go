package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/watch/fhirhttp"
)

// FHIRConfig is the `fhir:` section: the FHIR intake (watch/fhirhttp),
// where other software POSTs ITI-65 Bundles, ITI-105 DocumentReferences,
// FHIR documents and PDFs with their sidecar. An empty Addr turns it off.
type FHIRConfig struct {
	// Name is the intake's name; default "fhir". Intake names are shared
	// with folders and MLLP listeners.
	Name string `yaml:"name"`
	// Addr is the host:port to listen on, e.g. 0.0.0.0:8444.
	Addr string `yaml:"addr"`
	// TokensFile holds the accepted bearer tokens, one per line, each
	// "token" or "name token" (the name selects source profiles through
	// profiles[].when.sender; blank
	// lines and # comments are skipped). Keep it readable by docbridge only.
	TokensFile string `yaml:"tokens_file"`
	// TLS makes the endpoint HTTPS; with ClientCA, a client certificate
	// signed by it authenticates a sender (beside tokens, or alone).
	TLS *MLLPTLSConfig `yaml:"tls"`
	// MaxBodyBytes bounds a FHIR JSON body (default 128 MiB); MaxPDFBytes
	// a PDF posted to /pdf (default limits.max_input_bytes, else 512 MiB).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	MaxPDFBytes  int64 `yaml:"max_pdf_bytes"`
	// ReadTimeout bounds the reading of one request (default 10m).
	ReadTimeout time.Duration `yaml:"read_timeout"`
}

func (c *Config) fhirDefaults() {
	if c.FHIR.Name == "" {
		c.FHIR.Name = "fhir"
	}
	if c.FHIR.MaxPDFBytes == 0 {
		c.FHIR.MaxPDFBytes = c.Limits.MaxInputBytes
	}
}

func (c *Config) relativeFHIR(base string) {
	ps := []*string{&c.FHIR.TokensFile}
	if t := c.FHIR.TLS; t != nil {
		ps = append(ps, &t.Cert, &t.Key, &t.ClientCA)
	}
	for _, p := range ps {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
}

// checkFHIR returns the section's problems, each naming its field. It
// reads no file: startup reads the tokens and TLS files.
func (c *Config) checkFHIR() []error {
	f := c.FHIR
	if f.Addr == "" {
		return nil
	}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("fhir.%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if _, _, err := net.SplitHostPort(f.Addr); err != nil {
		bad("addr", "%q is not host:port", f.Addr)
	}
	for _, n := range c.Folders {
		if n.Name == f.Name {
			bad("name", "%q is also a folder's name (intake names are shared by folders and listeners)", f.Name)
		}
	}
	for _, m := range c.MLLP {
		if m.Name == f.Name {
			bad("name", "%q is also an MLLP listener's name", f.Name)
		}
	}
	if f.TokensFile == "" && (f.TLS == nil || f.TLS.ClientCA == "") {
		bad("tokens_file", "required unless tls.client_ca is set: the FHIR intake is never open")
	}
	if f.TLS != nil && (f.TLS.Cert == "" || f.TLS.Key == "") {
		bad("tls", "cert and key are required with tls")
	}
	if f.MaxBodyBytes < 0 || f.MaxPDFBytes < 0 || f.ReadTimeout < 0 {
		bad("max_body_bytes", "the limits and read_timeout must not be negative")
	}
	return errs
}

// newFHIRServer listens on fhir.addr; nil when the section is off. The
// sink takes the posts, the store answers GET /status/<id>.
func newFHIRServer(cfg *Config, sink docbridge.Sink, st *store.Store, log zerolog.Logger) (*fhirhttp.Server, error) {
	f := cfg.FHIR
	if f.Addr == "" {
		return nil, nil
	}
	var tokens []string
	if f.TokensFile != "" {
		var err error
		if tokens, err = readTokens(f.TokensFile, log); err != nil {
			return nil, usageErrorf("fhir.tokens_file: %v", err)
		}
	}
	var tc *tls.Config
	if f.TLS != nil {
		var err error
		if tc, err = mllpTLS(f.TLS); err != nil {
			return nil, usageErrorf("fhir.tls: %v", err)
		}
		if tc.ClientCAs != nil && len(tokens) > 0 {
			tc.ClientAuth = tls.VerifyClientCertIfGiven // a token or a certificate
		}
	}
	s, err := fhirhttp.New(fhirhttp.Options{
		Name: f.Name, Addr: f.Addr, TLS: tc, Tokens: tokens, Sink: sink, Status: storeStatus{st},
		MaxBodyBytes: f.MaxBodyBytes, MaxPDFBytes: f.MaxPDFBytes, ReadTimeout: f.ReadTimeout, Log: log,
	})
	if err != nil {
		return nil, fmt.Errorf("FHIR intake %s: %w", f.Name, err)
	}
	return s, nil
}

// readTokens reads a tokens file: one token per line, blank lines and #
// comments skipped. A file others can read is logged as a warning.
func readTokens(path string, log zerolog.Logger) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o044 != 0 {
		log.Warn().Str("file", path).Msg("the FHIR tokens file is readable by others: chmod 600 it")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var tokens []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" && !strings.HasPrefix(t, "#") {
			tokens = append(tokens, t)
		}
	}
	if len(tokens) == 0 {
		return nil, errors.New("the file holds no token")
	}
	return tokens, nil
}

// storeStatus answers the FHIR intake's GET /status/<id> from the store.
type storeStatus struct{ st *store.Store }

var _ fhirhttp.StatusLookup = storeStatus{}

// InputStatus implements fhirhttp.StatusLookup.
func (s storeStatus) InputStatus(ctx context.Context, id int64) (fhirhttp.InputStatus, error) {
	in, err := s.st.Input(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fhirhttp.InputStatus{}, fmt.Errorf("input %d: %w", id, fhirhttp.ErrUnknownInput)
	}
	if err != nil {
		return fhirhttp.InputStatus{}, err
	}
	rows, err := s.st.Documents(ctx, store.Filter{InputID: id})
	if err != nil {
		return fhirhttp.InputStatus{}, err
	}
	out := fhirhttp.InputStatus{
		Input: in.ID, Intake: in.Intake, ReceivedAt: in.ReceivedAt,
		State: in.State, Reason: in.Reason, Message: in.Message,
		Documents: make([]fhirhttp.DocumentStatus, 0, len(rows)),
	}
	for _, r := range rows {
		out.Documents = append(out.Documents, fhirhttp.DocumentStatus{
			ID: r.ID, UniqueID: r.UniqueID, State: r.State, Reason: r.Reason, Message: r.Message,
		})
	}
	return out, nil
}
