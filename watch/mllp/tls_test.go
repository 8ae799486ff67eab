package mllp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/docbridge/docbridge/hl7"
)

// testPKI is a CA with a server and a client certificate, made in the test.
type testPKI struct {
	pool           *x509.CertPool
	server, client tls.Certificate
}

func newPKI(t *testing.T) testPKI {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "docbridge test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(serial int64, name string, usage x509.ExtKeyUsage) tls.Certificate {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return testPKI{pool: pool, server: leaf(2, "docbridge", x509.ExtKeyUsageServerAuth), client: leaf(3, "lis", x509.ExtKeyUsageClientAuth)}
}

func TestMutualTLS(t *testing.T) {
	pki := newPKI(t)
	sink := &fakeSink{}
	s, _ := start(t, Options{Sink: sink, TLS: &tls.Config{
		Certificates: []tls.Certificate{pki.server}, ClientCAs: pki.pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
	}})
	dialTLS := func(certs []tls.Certificate) (*tls.Conn, error) {
		nc, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{RootCAs: pki.pool, Certificates: certs, ServerName: "127.0.0.1"})
		if err != nil {
			return nil, err
		}
		return nc, nc.Handshake()
	}

	nc, err := dialTLS([]tls.Certificate{pki.client})
	if err != nil {
		t.Fatalf("TLS with a client certificate: %v", err)
	}
	defer nc.Close()
	c := &client{t: t, nc: nc, r: hl7.NewReader(nc, 0)}
	if got := field(c.send(oru("TLS1")), "MSA", 1, 0); got != "AA" {
		t.Errorf("MSA-1 = %q, want AA", got)
	}

	// Without a client certificate the server ends the handshake; the
	// client learns it on its first read.
	nc2, err := dialTLS(nil)
	if err == nil {
		defer nc2.Close()
		hl7.WriteFrame(nc2, []byte(oru("TLS2")))
		nc2.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err = hl7.NewReader(nc2, 0).ReadMessage(); err == nil {
			t.Fatal("a client without certificate got an answer")
		}
	}
	if got := sink.count(); got != 1 {
		t.Errorf("stored %d, want only the authenticated client's message", got)
	}
}
