package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge/internal/audit"
	"github.com/docbridge/docbridge/internal/store"
)

// AuditConfig is the audit: section: how this instance is named in the
// audit trail's exports, and where records are forwarded.
type AuditConfig struct {
	// Instance names this docbridge in exported and forwarded records
	// (AuditEvent source, syslog HOSTNAME); default: the host name.
	Instance string `yaml:"instance"`
	Forward  struct {
		Syslog *SyslogForwardConfig `yaml:"syslog"`
		FHIR   *FHIRForwardConfig   `yaml:"fhir"`
	} `yaml:"forward"`
}

// SyslogForwardConfig forwards records as RFC 5424 messages over TLS
// (RFC 5425).
type SyslogForwardConfig struct {
	Addr string `yaml:"addr"` // host:port, usually port 6514
	CA   string `yaml:"ca"`   // PEM CA certificates of the receiver; empty: the system's
	Cert string `yaml:"cert"` // PEM client certificate, with key, when the receiver asks for one
	Key  string `yaml:"key"`
}

// FHIRForwardConfig forwards records as AuditEvents: POST URL/AuditEvent.
type FHIRForwardConfig struct {
	URL string `yaml:"url"` // the FHIR base URL of the audit record repository
	CA  string `yaml:"ca"`  // PEM CA certificates of the server; empty: the system's
}

// relative makes the section's paths relative to the configuration's
// directory.
func (a *AuditConfig) relative(base string) {
	var paths []*string
	if s := a.Forward.Syslog; s != nil {
		paths = append(paths, &s.CA, &s.Cert, &s.Key)
	}
	if f := a.Forward.FHIR; f != nil {
		paths = append(paths, &f.CA)
	}
	for _, p := range paths {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
}

// check returns the section's problems, each naming its field. It reads
// no file: opening the forwarders does.
func (a *AuditConfig) check() []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("audit.%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if s := a.Forward.Syslog; s != nil {
		if _, _, err := net.SplitHostPort(s.Addr); err != nil {
			bad("forward.syslog.addr", "want host:port: %v", err)
		}
		if (s.Cert == "") != (s.Key == "") {
			bad("forward.syslog", "cert and key go together")
		}
	}
	if f := a.Forward.FHIR; f != nil {
		u, err := url.Parse(f.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("forward.fhir.url", "%q is not an http(s) URL", f.URL)
		}
	}
	return errs
}

// instance returns the configured instance name, or the host name.
func (a *AuditConfig) instance() string {
	if a.Instance != "" {
		return a.Instance
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "docbridge"
}

// targets returns the names of the configured forwarding targets.
func (a *AuditConfig) targets() []string {
	var out []string
	if a.Forward.Syslog != nil {
		out = append(out, "syslog")
	}
	if a.Forward.FHIR != nil {
		out = append(out, "fhir")
	}
	return out
}

// openAuditForwarding registers the configured targets in the store (so
// that every process appending records queues them) and returns one
// Forwarder per target.
func openAuditForwarding(ctx context.Context, cfg *Config, st *store.Store, log zerolog.Logger) ([]*audit.Forwarder, error) {
	a := &cfg.Audit
	if err := st.SetAuditTargets(ctx, a.targets()); err != nil {
		return nil, err
	}
	var out []*audit.Forwarder
	if s := a.Forward.Syslog; s != nil {
		tc, err := tlsConfig(s.CA, s.Cert, s.Key)
		if err != nil {
			return nil, usageErrorf("audit.forward.syslog: %v", err)
		}
		out = append(out, audit.NewForwarder(audit.ForwarderOptions{Target: "syslog", Outbox: st, Exclusive: st.Exclusive, Log: log,
			Sender: audit.NewSyslog(audit.SyslogOptions{Addr: s.Addr, TLS: tc, Hostname: a.instance()})}))
	}
	if f := a.Forward.FHIR; f != nil {
		tc, err := tlsConfig(f.CA, "", "")
		if err != nil {
			return nil, usageErrorf("audit.forward.fhir: %v", err)
		}
		hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tc, Proxy: http.ProxyFromEnvironment}}
		out = append(out, audit.NewForwarder(audit.ForwarderOptions{Target: "fhir", Outbox: st, Exclusive: st.Exclusive, Log: log,
			Sender: &audit.FHIRPost{Base: f.URL, Client: hc, Mapping: audit.FHIROptions{Instance: a.instance()}}}))
	}
	return out, nil
}

// tlsConfig returns a client TLS configuration trusting the PEM CAs in
// caFile (the system's when empty) and presenting cert/key when set.
func tlsConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read CA: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", caFile)
		}
	}
	if certFile != "" {
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("load client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{c}
	}
	return tc, nil
}
