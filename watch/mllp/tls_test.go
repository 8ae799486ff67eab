package mllp

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/docbridge/docbridge/hl7"
	"github.com/docbridge/docbridge/watch/internal/testpki"
)

// newPKI is testpki.New for this package's sender.
func newPKI(t *testing.T) testpki.PKI { return testpki.New(t, "lis") }

func TestMutualTLS(t *testing.T) {
	pki := newPKI(t)
	sink := &fakeSink{}
	s, _ := start(t, Options{Sink: sink, TLS: &tls.Config{
		Certificates: []tls.Certificate{pki.Server}, ClientCAs: pki.Pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
	}})
	dialTLS := func(certs []tls.Certificate) (*tls.Conn, error) {
		nc, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{RootCAs: pki.Pool, Certificates: certs, ServerName: "127.0.0.1"})
		if err != nil {
			return nil, err
		}
		return nc, nc.Handshake()
	}

	nc, err := dialTLS([]tls.Certificate{pki.Client})
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
