package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// mesTLS builds the TLS configuration of the MES connection: the system's
// roots unless mes.tls.ca names a CA file, and docbridge's client
// certificate for mutual TLS when mes.tls.cert and key are set. It returns
// nil when nothing is configured (Go's defaults).
func mesTLS(cfg *Config) (*tls.Config, error) {
	t := cfg.MES.TLS
	if t.CA == "" && t.Cert == "" {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CA != "" {
		pem, err := os.ReadFile(t.CA)
		if err != nil {
			return nil, fmt.Errorf("read CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", t.CA)
		}
		tc.RootCAs = pool
	}
	if t.Cert != "" {
		cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("load client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
