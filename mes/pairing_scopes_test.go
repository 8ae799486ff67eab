package mes_test

import (
	"context"
	"net/url"
	"slices"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mes"
)

// TestPairingScopes: the pairing flow asks for the configured scopes, the
// patient grants them or refuses mesures, the token answer says what was
// granted (and a refresh keeps it), and MES takes a measurement only with
// a token that grants mesures.
func TestPairingScopes(t *testing.T) {
	tests := []struct {
		name    string
		deny    url.Values
		want    []string
		deliver docbridge.Reason // of a measurement sent with the token
	}{
		{"granted", nil, []string{docbridge.ScopeDocuments, docbridge.ScopeMeasurements}, ""},
		{"mesures refused", url.Values{"deny_scope": {docbridge.ScopeMeasurements}}, []string{docbridge.ScopeDocuments}, docbridge.MESRejected},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newPairingEnv(t)
			e.c = mes.NewPairingClient(mes.PairingOptions{BaseURL: e.base, ClientID: "documents-svc",
				RedirectURL: "https://lab.example/pairing/callback", HTTPClient: e.hc, Now: e.clk.Now,
				Scopes: []string{docbridge.ScopeDocuments, docbridge.ScopeMeasurements}})
			verifier, challenge := mes.NewPKCE()
			authorize := e.c.AuthorizeURL("s", challenge)
			if u, _ := url.Parse(authorize); u.Query().Get("scope") != "documents mesures" {
				t.Errorf("the authorize request asks for %q, want \"documents mesures\"", u.Query().Get("scope"))
			}
			q := consent(t, authorize, "mes-A", "approve", tc.deny)
			tok, err := e.c.Exchange(context.Background(), q.Get("code"), verifier)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(tok.Scopes(), tc.want) {
				t.Errorf("granted scopes %q, want %q", tok.Scopes(), tc.want)
			}
			refreshed, err := e.c.Refresh(context.Background(), tok.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(refreshed.Scopes(), tc.want) {
				t.Errorf("after a refresh the scopes are %q, want %q", refreshed.Scopes(), tc.want)
			}
			// Sent as if the pairing covered measurements: MES decides.
			p := measurePairing(refreshed.AccessToken)
			p.MESPatient = "mes-A"
			d := measureDocs()["body-weight"]
			_, err = measureClientWith(e.base, e.hc).Deliver(context.Background(), d, nil, p)
			if got := docbridge.ReasonOf(err); got != tc.deliver {
				t.Errorf("delivery: %v, want reason %q", err, tc.deliver)
			}
		})
	}
}
