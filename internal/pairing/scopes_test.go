package pairing

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
)

// TestPairingStoresScopes: docbridge asks for documents and mesures; the
// pairing records what MES's token answer granted. A patient who refused
// mesures is paired for documents only, and the page says their
// measurements will not be sent and offers to pair again; when they do,
// granting it, the same pairing covers measurements.
func TestPairingStoresScopes(t *testing.T) {
	ctx := context.Background()
	e := newEnvScopes(t, []string{docbridge.ScopeDocuments, docbridge.ScopeMeasurements})
	var id string
	for i, tc := range []struct {
		deny url.Values
		want []string
		page string
	}{
		{url.Values{"deny_scope": {docbridge.ScopeMeasurements}}, []string{docbridge.ScopeDocuments}, `<main id="paired-partly">`},
		{nil, []string{docbridge.ScopeDocuments, docbridge.ScopeMeasurements}, `<main id="paired">`},
	} {
		jar, _ := cookiejar.New(nil)
		status, page := browse(t, e.srv.URL+"/start", jar, "approve", tc.deny)
		if status != http.StatusOK || !strings.Contains(page, tc.page) {
			t.Fatalf("pairing %d: callback HTTP %d, want the page %s:\n%s", i+1, status, tc.page, page)
		}
		if i == 0 && (!strings.Contains(page, "vos mesures de santé") || !strings.Contains(page, `href="start"`)) {
			t.Errorf("the page does not say the measurements will not be sent, or offers no new pairing:\n%s", page)
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
