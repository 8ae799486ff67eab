package pairing

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"testing"

	"github.com/docbridge/docbridge"
)

// TestPairingStoresScopes: docbridge asks for documents and mesures; the
// pairing records what MES's token answer granted. A patient who refused
// mesures is paired for documents only; when they pair again granting it,
// the same pairing covers measurements.
func TestPairingStoresScopes(t *testing.T) {
	ctx := context.Background()
	e := newEnvScopes(t, []string{docbridge.ScopeDocuments, docbridge.ScopeMeasurements})
	var id string
	for i, tc := range []struct {
		deny url.Values
		want []string
	}{
		{url.Values{"deny_scope": {docbridge.ScopeMeasurements}}, []string{docbridge.ScopeDocuments}},
		{nil, []string{docbridge.ScopeDocuments, docbridge.ScopeMeasurements}},
	} {
		jar, _ := cookiejar.New(nil)
		if status, page := browse(t, e.srv.URL+"/start", jar, "approve", tc.deny); status != http.StatusOK {
			t.Fatalf("pairing %d: callback HTTP %d %s", i+1, status, page)
		}
		ps, _ := e.st.Pairings(ctx)
		if len(ps) != 1 || !slices.Equal(ps[0].Scopes, tc.want) || ps[0].Covers(docbridge.KindMeasurement) != (len(tc.want) == 2) {
			t.Fatalf("pairing %d: %d pairings, scopes %q; want one with %q", i+1, len(ps), ps[0].Scopes, tc.want)
		}
		if id != "" && ps[0].ID != id {
			t.Errorf("pairing again made a new pairing %s, want %s kept", ps[0].ID, id)
		}
		id = ps[0].ID
	}
}
