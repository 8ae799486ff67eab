package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/metrics"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/mes/messim"
)

// testPKI writes a CA, a server certificate for 127.0.0.1 and a client
// certificate, all signed by the CA, into dir.
func testPKI(t *testing.T, dir string) (ca *x509.CertPool, server tls.Certificate) {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	caKey := key()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	caCert, _ := x509.ParseCertificate(caDER)
	write("ca.pem", "CERTIFICATE", caDER)
	leaf := func(serial int64, usage x509.ExtKeyUsage, name string) tls.Certificate {
		k := key()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kd, _ := x509.MarshalECPrivateKey(k)
		write(name+".pem", "CERTIFICATE", der)
		write(name+".key", "EC PRIVATE KEY", kd)
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
	}
	server = leaf(2, x509.ExtKeyUsageServerAuth, "server")
	leaf(3, x509.ExtKeyUsageClientAuth, "client")
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return pool, server
}

// TestMESMutualTLS delivers to a simulator that requires a client
// certificate signed by its CA: with mes.tls configured it works, without
// the client certificate it is refused as MES being unreachable.
func TestMESMutualTLS(t *testing.T) {
	dir := t.TempDir()
	pool, serverCert := testPKI(t, dir)
	sim := messim.New(messim.Options{})
	srv := httptest.NewUnstartedServer(sim.Handler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	srv.StartTLS()
	defer srv.Close()

	d := &docbridge.Document{UniqueID: "urn:oid:1.2.250.1.999.9.1", Action: docbridge.Create}
	p := docbridge.Pairing{ID: "p", MESPatient: "m", AccessToken: sim.AddPatient("m", "285047505612322", "1.2.250.1.213.1.4.10")}
	tests := []struct {
		name     string
		tls      func(c *Config)
		reachOK  bool
		wantCode docbridge.Reason
	}{
		{"client certificate", func(c *Config) {
			c.MES.TLS.CA, c.MES.TLS.Cert, c.MES.TLS.Key = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
		}, true, ""},
		{"no client certificate", func(c *Config) { c.MES.TLS.CA = filepath.Join(dir, "ca.pem") }, false, docbridge.MESUnavailable},
		{"unknown server CA", func(c *Config) {}, false, docbridge.MESUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &Config{}
			cfg.MES.BaseURL = srv.URL
			tt.tls(cfg)
			hc, err := mesHTTPClient(cfg, metrics.New(metrics.Options{}))
			if err != nil {
				t.Fatal(err)
			}
			c := mes.NewClient(mes.Options{BaseURL: srv.URL, HTTPClient: hc})
			// A delete of an unknown document: any MES answer (404 → mes-rejected)
			// proves the TLS handshake went through.
			_, err = c.Deliver(context.Background(), &docbridge.Document{UniqueID: d.UniqueID, Action: docbridge.Delete}, bytes.NewReader(nil), p)
			got := docbridge.ReasonOf(err)
			if tt.reachOK && got != docbridge.MESRejected {
				t.Errorf("with TLS configured: %v, want MES's own 404 (mes-rejected)", err)
			}
			if !tt.reachOK && got != tt.wantCode {
				t.Errorf("reason %q (%v), want %q", got, err, tt.wantCode)
			}
		})
	}
}
