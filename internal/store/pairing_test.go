package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/google/go-cmp/cmp"
)

// pairing returns a pairing for the patient with this INS.
func pairing(id, ins string, created time.Time) docbridge.Pairing {
	return docbridge.Pairing{
		ID:         id,
		MESPatient: "mes-" + id,
		Patient: docbridge.Patient{INS: ins, INSSystem: "urn:oid:1.2.250.1.213.1.4.10", BirthName: "TEST",
			FirstNames: []string{"Paul", "Jean"}, BirthDate: "1980-01-01", Sex: "M", BirthPlace: "75056"},
		AccessToken: "token-" + id,
		CreatedAt:   created,
	}
}

func testPairings(t *testing.T, open opener) {
	ctx := context.Background()
	clk := newClock()
	s := open(t, Options{Now: clk.Now})
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	p1, p2 := pairing("p1", "180017505612345", t0), pairing("p2", "280017505612399", time.Time{})
	for _, p := range []docbridge.Pairing{p1, p2} {
		if err := s.PutPairing(ctx, p); err != nil {
			t.Fatalf("PutPairing: %v", err)
		}
	}
	p1.CreatedAt = t0.UTC()
	p2.CreatedAt = clk.Now() // zero means now
	got, err := s.Pairings(ctx)
	if err != nil {
		t.Fatalf("Pairings: %v", err)
	}
	if diff := cmp.Diff([]docbridge.Pairing{p1, p2}, got); diff != "" {
		t.Errorf("Pairings (-want +got):\n%s", diff)
	}

	// Replace p1: refreshed token, then revoked.
	p1.AccessToken, p1.Revoked = "refreshed", true
	if err := s.PutPairing(ctx, p1); err != nil {
		t.Fatalf("PutPairing(replace): %v", err)
	}
	got, _ = s.Pairings(ctx)
	if diff := cmp.Diff([]docbridge.Pairing{p1, p2}, got); diff != "" {
		t.Errorf("Pairings after replace (-want +got):\n%s", diff)
	}
	if err := s.PutPairing(ctx, docbridge.Pairing{}); err == nil {
		t.Errorf("PutPairing without an id: no error")
	}
}

func testPairingByINS(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, Options{})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	revoked := pairing("old", "1", t0)
	revoked.Revoked = true
	noINS := pairing("no-ins", "", t0)
	for _, p := range []docbridge.Pairing{
		revoked,
		pairing("live", "1", t0.Add(time.Hour)),
		pairing("older", "2", t0),
		pairing("newer", "2", t0.Add(time.Hour)),
		pairing("gone", "3", t0),
		noINS,
	} {
		if p.ID == "gone" {
			p.Revoked = true
		}
		if err := s.PutPairing(ctx, p); err != nil {
			t.Fatalf("PutPairing: %v", err)
		}
	}
	tests := []struct {
		ins      string
		wantID   string // "" for none
		conflict bool
	}{
		{"1", "live", false}, // the revoked one is skipped
		{"2", "", true},      // two live ones: a conflict, never the newest
		{"3", "", false},     // only a revoked one
		{"4", "", false},     // unknown
		{"", "", false},      // an empty INS matches nothing, not the pairing without INS
	}
	for _, tc := range tests {
		p, ok, err := s.PairingByINS(ctx, tc.ins)
		if got := errors.Is(err, ErrPairingConflict); got != tc.conflict {
			t.Fatalf("PairingByINS(%q) error = %v, want conflict %v", tc.ins, err, tc.conflict)
		}
		if err != nil && !tc.conflict {
			t.Fatalf("PairingByINS(%q): %v", tc.ins, err)
		}
		if ok != (tc.wantID != "") || p.ID != tc.wantID {
			t.Errorf("PairingByINS(%q) = %q, %v; want %q", tc.ins, p.ID, ok, tc.wantID)
		}
		if ok && p.Patient.INS != tc.ins {
			t.Errorf("PairingByINS(%q).Patient.INS = %q", tc.ins, p.Patient.INS)
		}
	}
}

// TestPairingsVersion: the version changes when a pairing is added, revoked
// or renewed, and not otherwise.
func TestPairingsVersion(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := context.Background()
		clk := newClock()
		s := e.open(t, Options{Now: clk.Now})
		version := func() string {
			t.Helper()
			v, err := s.PairingsVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		empty := version()
		p := pairing("p1", "180017505612345", clk.Now())
		s.PutPairing(ctx, p)
		added := version()
		if added == empty {
			t.Error("version unchanged after a pairing was added")
		}
		if again := version(); again != added {
			t.Errorf("version changed with no change: %s then %s", added, again)
		}
		p.Revoked = true
		s.PutPairing(ctx, p)
		revoked := version()
		if revoked == added {
			t.Error("version unchanged after a revocation, with the same clock")
		}
		clk.Advance(time.Second)
		p.Revoked, p.AccessToken = false, "renewed"
		s.PutPairing(ctx, p)
		if version() == revoked {
			t.Error("version unchanged after the pairing was renewed")
		}
	})
}
