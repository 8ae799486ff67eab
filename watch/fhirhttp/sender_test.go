package fhirhttp

import (
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
)

// TestSender: what a request posts carries its authenticated sender — a
// named token's name ("NAME TOKEN" in Options.Tokens), nothing for an
// unnamed token, the common name of a client certificate's subject.
func TestSender(t *testing.T) {
	pki := newPKI(t) // client certificate for "his"
	tc := &tls.Config{Certificates: []tls.Certificate{pki.Server}, ClientCAs: pki.Pool, ClientAuth: tls.VerifyClientCertIfGiven}
	sink := &fakeSink{}
	_, base := start(t, Options{Sink: sink, TLS: tc, Tokens: []string{"clinic-a " + token, "unnamed-token"}})
	plain := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.Pool}}}
	withCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.Pool, Certificates: []tls.Certificate{pki.Client}}}}
	defer plain.CloseIdleConnections()
	defer withCert.CloseIdleConnections()

	if resp, b := post(t, plain, base+"/", "application/fhir+json", strings.NewReader(bundle)); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("named token: %d %s", resp.StatusCode, b)
	}
	if resp, b := post(t, plain, base+"/", "application/fhir+json", strings.NewReader(bundle), "Authorization", "Bearer unnamed-token"); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("unnamed token: %d %s", resp.StatusCode, b)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(bundle))
	req.Header.Set("Content-Type", "application/fhir+json")
	if resp, b := do(t, withCert, req); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("client certificate: %d %s", resp.StatusCode, b)
	}
	if resp, _ := post(t, plain, base+"/", "application/fhir+json", strings.NewReader(bundle), "Authorization", "Bearer clinic-a"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a token's name as the token: %d, want 401", resp.StatusCode)
	}
	got := sink.envelopes()
	if len(got) != 3 {
		t.Fatalf("%d envelopes, want 3", len(got))
	}
	for i, want := range []string{"clinic-a", "", "his"} {
		if got[i].Sender != want {
			t.Errorf("envelope %d: Sender = %q, want %q", i, got[i].Sender, want)
		}
	}
}
