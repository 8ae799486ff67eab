package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/watch/mllp"
)

// MLLPConfig is one HL7 v2 listener (the `mllp:` list of docbridge.yaml).
type MLLPConfig struct {
	Name            string         `yaml:"name"`              // intake name; default mllp1, mllp2…
	Addr            string         `yaml:"addr"`              // host:port to listen on; required
	MaxMessageBytes int            `yaml:"max_message_bytes"` // default 16 MiB
	IdleTimeout     time.Duration  `yaml:"idle_timeout"`      // default 5m
	TLS             *MLLPTLSConfig `yaml:"tls"`               // optional

	// The bounds of what senders can make the listener hold (mllp.Options).
	MaxConnections    int   `yaml:"max_connections"`     // default 64; beyond, closed at once
	SpoolAboveBytes   int   `yaml:"spool_above_bytes"`   // default 1 MiB; bigger messages are received on disk
	MemoryBudgetBytes int64 `yaml:"memory_budget_bytes"` // default 32 MiB of messages in memory; beyond, on disk
	SpoolBudgetBytes  int64 `yaml:"spool_budget_bytes"`  // default 1 GiB of messages on disk; beyond, AR
	LargeAccepts      int   `yaml:"large_accepts"`       // default 2 spooled messages stored at once
}

// MLLPTLSConfig makes a listener TLS; with ClientCA, senders must present a
// certificate signed by it.
type MLLPTLSConfig struct {
	Cert     string `yaml:"cert"`      // PEM certificate chain; required
	Key      string `yaml:"key"`       // PEM private key; required
	ClientCA string `yaml:"client_ca"` // PEM CA bundle for client certificates
}

func (c *Config) mllpDefaults() {
	for i := range c.MLLP {
		if c.MLLP[i].Name == "" {
			c.MLLP[i].Name = fmt.Sprintf("mllp%d", i+1)
		}
	}
}

func (c *Config) relativeMLLP(base string) {
	for _, m := range c.MLLP {
		if m.TLS == nil {
			continue
		}
		for _, p := range []*string{&m.TLS.Cert, &m.TLS.Key, &m.TLS.ClientCA} {
			if *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(base, *p)
			}
		}
	}
}

func (c *Config) checkMLLP() []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	names := map[string]bool{}
	for _, f := range c.Folders {
		names[f.Name] = true
	}
	for i, m := range c.MLLP {
		field := fmt.Sprintf("mllp[%d]", i)
		if m.Addr == "" {
			bad(field+".addr", "required: the host:port to listen on")
		} else if _, _, err := net.SplitHostPort(m.Addr); err != nil {
			bad(field+".addr", "%q is not host:port", m.Addr)
		}
		if names[m.Name] {
			bad(field+".name", "%q is used twice (intake names are shared by folders and listeners)", m.Name)
		}
		names[m.Name] = true
		if m.MaxMessageBytes < 0 {
			bad(field+".max_message_bytes", "must not be negative")
		}
		if m.IdleTimeout < 0 {
			bad(field+".idle_timeout", "must not be negative")
		}
		for _, b := range []struct {
			key string
			v   int64
		}{{"max_connections", int64(m.MaxConnections)}, {"spool_above_bytes", int64(m.SpoolAboveBytes)},
			{"memory_budget_bytes", m.MemoryBudgetBytes}, {"spool_budget_bytes", m.SpoolBudgetBytes},
			{"large_accepts", int64(m.LargeAccepts)}} {
			if b.v < 0 {
				bad(field+"."+b.key, "must not be negative (0 or absent means the default)")
			}
		}
		if m.TLS != nil {
			if m.TLS.Cert == "" {
				bad(field+".tls.cert", "required with tls")
			}
			if m.TLS.Key == "" {
				bad(field+".tls.key", "required with tls")
			}
		}
	}
	return errs
}

// newMLLPServers listens on every configured address, with the spool
// directory <data>/spool (0700) for messages received on disk. On error
// the listeners already opened are closed.
func newMLLPServers(cfg *Config, sink docbridge.Sink, log zerolog.Logger) ([]*mllp.Server, error) {
	var out []*mllp.Server
	spool := filepath.Join(cfg.Data, "spool")
	if len(cfg.MLLP) > 0 {
		if err := os.MkdirAll(spool, 0o700); err != nil {
			return nil, fmt.Errorf("MLLP spool directory: %w", err)
		}
	}
	fail := func(err error) ([]*mllp.Server, error) {
		for _, s := range out {
			s.Close()
		}
		return nil, err
	}
	for i, m := range cfg.MLLP {
		var tc *tls.Config
		if m.TLS != nil {
			var err error
			if tc, err = mllpTLS(m.TLS); err != nil {
				return fail(usageErrorf("mllp[%d].tls: %v", i, err))
			}
		}
		s, err := mllp.New(mllp.Options{
			Name: m.Name, Addr: m.Addr, TLS: tc, Sink: sink,
			MaxMessageBytes: m.MaxMessageBytes, IdleTimeout: m.IdleTimeout, Log: log,
			MaxConnections: m.MaxConnections, SpoolAbove: m.SpoolAboveBytes, MemoryBudget: m.MemoryBudgetBytes,
			SpoolDir: spool, SpoolBudget: m.SpoolBudgetBytes, LargeAccepts: m.LargeAccepts, GiveBack: debug.FreeOSMemory,
		})
		if err != nil {
			return fail(fmt.Errorf("MLLP intake %s: %w", m.Name, err))
		}
		out = append(out, s)
	}
	return out, nil
}

// mllpTLS loads a listener's certificate and, when given, the CA that
// client certificates must chain to.
func mllpTLS(t *MLLPTLSConfig) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
	if err != nil {
		return nil, fmt.Errorf("load certificate: %w", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if t.ClientCA != "" {
		pem, err := os.ReadFile(t.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("read client_ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("client_ca holds no PEM certificate")
		}
		tc.ClientCAs, tc.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return tc, nil
}
