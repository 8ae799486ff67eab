package identity

import (
	"context"
	"errors"
	"testing"

	"github.com/docbridge/docbridge"
)

type pairingList []docbridge.Pairing

func (l pairingList) PairingsByINS(_ context.Context, ins string) ([]docbridge.Pairing, error) {
	var out []docbridge.Pairing
	for _, p := range l {
		if p.Patient.INS == ins {
			out = append(out, p)
		}
	}
	return out, nil
}

func TestMatchPairingStates(t *testing.T) {
	live := docbridge.Pairing{ID: "p1", Patient: camille}
	live2 := docbridge.Pairing{ID: "p2", Patient: camille}
	gone := docbridge.Pairing{ID: "p0", Patient: camille, Revoked: true}
	tests := []struct {
		name     string
		pairings pairingList
		want     docbridge.Reason
	}{
		{"none", nil, docbridge.NotPaired},
		{"only revoked", pairingList{gone}, docbridge.PairingRevoked},
		{"revoked and live", pairingList{gone, live}, ""},
		{"two live", pairingList{live, live2}, docbridge.PairingConflict},
		{"two live and a revoked", pairingList{live, gone, live2}, docbridge.PairingConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := (&Matcher{Pairings: tt.pairings}).Match(context.Background(), &docbridge.Document{Patient: camille})
			if got := docbridge.ReasonOf(err); got != tt.want {
				t.Errorf("Match reason = %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	paired := docbridge.Pairing{ID: "p1", Patient: camille}
	doc := &docbridge.Document{UniqueID: "urn:oid:1.2", SHA256: "ab12", Patient: camille}
	doc.Patient.BirthDate = "1985-04-18"
	fp := Fingerprint(doc, paired)
	one := pairingList{paired}
	two := pairingList{paired, {ID: "p2", Patient: camille}}
	tests := []struct {
		name     string
		ps       pairingList
		state    docbridge.State
		reason   docbridge.Reason
		action   Action
		note     string
		seen     string
		wantTo   docbridge.State
		refused  bool
		wantConf bool // the message records a Confirmation
	}{
		{"confirm mismatch with the diff seen", one, docbridge.Review, docbridge.IdentityMismatch, Confirm, "checked the ID card", fp, docbridge.Converted, false, true},
		{"confirm without the diff", one, docbridge.Review, docbridge.IdentityMismatch, Confirm, "ok", "", "", true, false},
		{"confirm with an old diff", one, docbridge.Review, docbridge.IdentityMismatch, Confirm, "ok", "0123456789abcdef0123456789abcdef", "", true, false},
		{"confirm mismatch when two pairings claim the INS", two, docbridge.Review, docbridge.IdentityMismatch, Confirm, "ok", fp, "", true, false},
		{"confirm a pairing conflict rematches", two, docbridge.Review, docbridge.PairingConflict, Confirm, "revoked p2", "", docbridge.Converted, false, false},
		{"confirm unqualified", one, docbridge.Review, docbridge.IdentityUnqualified, Confirm, "called the lab", "", docbridge.Converted, false, false},
		{"confirm a missing trait", one, docbridge.Review, docbridge.MissingTrait, Confirm, "ok", "", "", true, false},
		{"confirm a version conflict", one, docbridge.Review, docbridge.VersionConflict, Confirm, "ok", "", "", true, false},
		{"reject a version conflict", one, docbridge.Review, docbridge.VersionConflict, Reject, "wrong patient", "", docbridge.Failed, false, false},
		{"reject", one, docbridge.Review, docbridge.IdentityMismatch, Reject, "another patient", "", docbridge.Failed, false, false},
		{"set aside", one, docbridge.Review, docbridge.IdentityMismatch, SetAside, "waiting for the lab", "", docbridge.Review, false, false},
		{"no note", one, docbridge.Review, docbridge.IdentityMismatch, Reject, "  ", "", "", true, false},
		{"not in review", one, docbridge.Held, docbridge.NotPaired, Reject, "x", "", "", true, false},
		{"unknown decision", one, docbridge.Review, docbridge.IdentityMismatch, "approve", "x", "", "", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Decide(context.Background(), tt.ps, tt.state, tt.reason, doc, tt.action, tt.note, tt.seen)
			var ref *RefusedError
			if got := errors.As(err, &ref); got != tt.refused {
				t.Fatalf("Decide error = %v, want refused %v", err, tt.refused)
			}
			if tt.refused {
				return
			}
			if out.To != tt.wantTo {
				t.Errorf("Decide To = %s, want %s", out.To, tt.wantTo)
			}
			c, isConf := ParseConfirmation(out.Message)
			if isConf != tt.wantConf || (isConf && (c.PairingID != "p1" || c.Fingerprint != fp)) {
				t.Errorf("Decide message %q: confirmation %v %+v, want %v", out.Message, isConf, c, tt.wantConf)
			}
		})
	}
}
