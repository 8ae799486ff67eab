package admin

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
)

// TestActionsOffered: the document page offers Confirm and Retry only where
// they can succeed given the document's state and reason (and, for a
// pairing conflict, whether one live pairing now claims the INS).
func TestActionsOffered(t *testing.T) {
	tests := []struct {
		name          string
		state         docbridge.State
		reason        docbridge.Reason
		pairings      int // live pairings of camille
		confirm       bool
		retry         bool
		conflictShown bool
	}{
		{"identity mismatch, paired", docbridge.Review, docbridge.IdentityMismatch, 1, true, false, false},
		{"identity mismatch, no pairing", docbridge.Review, docbridge.IdentityMismatch, 0, false, false, false},
		{"pairing conflict unresolved", docbridge.Review, docbridge.PairingConflict, 2, false, false, true},
		{"pairing conflict resolved", docbridge.Review, docbridge.PairingConflict, 1, true, false, false},
		{"missing trait", docbridge.Review, docbridge.MissingTrait, 1, false, false, false},
		{"version conflict", docbridge.Review, docbridge.VersionConflict, 1, false, false, false},
		{"held for MES", docbridge.Held, docbridge.MESUnavailable, 1, false, true, false},
		{"rejected by MES", docbridge.Failed, docbridge.MESRejected, 1, false, true, false},
		{"held not paired", docbridge.Held, docbridge.NotPaired, 0, false, false, false},
		{"invalid INS", docbridge.Failed, docbridge.INSInvalid, 1, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			for i := range tt.pairings {
				id := "p" + itoa(int64(i+1))
				if err := f.st.PutPairing(context.Background(), docbridge.Pairing{ID: id, MESPatient: "m" + id, Patient: camille, AccessToken: "tok", CreatedAt: time.Now()}); err != nil {
					t.Fatal(err)
				}
			}
			id := f.addDoc("urn:oid:1.2.6.1", camille, tt.state, tt.reason)
			_, body := f.signIn("otto").get("/documents/" + itoa(id))
			if got := strings.Contains(body, `id="confirm"`); got != tt.confirm {
				t.Errorf("Confirm offered: %v, want %v", got, tt.confirm)
			}
			if got := strings.Contains(body, `id="retry"`); got != tt.retry {
				t.Errorf("Retry offered: %v, want %v", got, tt.retry)
			}
			if got := strings.Contains(body, `id="conflict"`); got != tt.conflictShown {
				t.Errorf("conflict hint shown: %v, want %v", got, tt.conflictShown)
			}
		})
	}
}
