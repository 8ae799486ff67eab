package admin

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
	"github.com/docbridge/docbridge/internal/store"
)

// fakeReconverter records the calls and answers res.
type fakeReconverter struct {
	mu     sync.Mutex
	inputs []int64
	actors []string
	res    store.Reconversion
}

func (r *fakeReconverter) Reconvert(ctx context.Context, inputID int64) (store.Reconversion, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inputs = append(r.inputs, inputID)
	r.actors = append(r.actors, audit.ActorFrom(ctx, ""))
	return r.res, nil
}

// TestReconvertAction: "Convert again" is offered to operators on a
// document stopped for a reason the configuration can fix, converts its
// input again as the signed-in user, says when nothing changed, and is
// refused for other reasons and to viewers.
func TestReconvertAction(t *testing.T) {
	tests := []struct {
		name       string
		reason     docbridge.Reason
		user       string
		unchanged  bool
		wantStatus int
		wantCalled bool
	}{
		{"unmapped-code", docbridge.UnmappedCode, "otto", false, http.StatusSeeOther, true},
		{"missing-metadata, nothing changed", docbridge.MissingMetadata, "otto", true, http.StatusConflict, true},
		{"identity-mismatch", docbridge.IdentityMismatch, "otto", false, http.StatusConflict, false},
		{"a viewer", docbridge.UnmappedCode, "vera", false, http.StatusForbidden, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := &fakeReconverter{res: store.Reconversion{Unchanged: tt.unchanged}}
			f := newFixtureWith(t, func(o *Options) { o.Reconverter = rc })
			id := f.addDoc("urn:oid:1.2.6."+itoa(int64(i)), camille, docbridge.Review, tt.reason)
			c := f.signIn(tt.user)
			_, page := c.get("/documents/" + itoa(id))
			if offered, want := strings.Contains(page, `id="reconvert"`), tt.wantCalled && tt.user == "otto"; offered != want {
				t.Errorf("Convert again offered = %v, want %v", offered, want)
			}
			resp, _ := c.post("/documents/"+itoa(id)+"/reconvert", url.Values{"csrf": {c.csrf}})
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if called := len(rc.inputs) == 1; called != tt.wantCalled {
				t.Fatalf("reconverter calls %v, want called %v", rc.inputs, tt.wantCalled)
			}
			if tt.wantCalled && (rc.inputs[0] != f.doc(id).InputID || rc.actors[0] != "user:otto") {
				t.Errorf("Reconvert(input %d) as %q, want input %d as user:otto", rc.inputs[0], rc.actors[0], f.doc(id).InputID)
			}
		})
	}
}
