package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
)

func TestHeldForPairingExpires(t *testing.T) {
	f := newFixture(t, nil)
	f.p.o.HoldMax = 48 * time.Hour
	f.accept(t, "urn:oid:7.1")
	f.settle(t)
	wantState(t, f.doc(t, "urn:oid:7.1"), docbridge.Held, docbridge.NotPaired)

	f.now = f.now.Add(47 * time.Hour)
	f.settle(t)
	wantState(t, f.doc(t, "urn:oid:7.1"), docbridge.Held, docbridge.NotPaired)

	f.now = f.now.Add(2 * time.Hour)
	f.accept(t, "urn:oid:7.2") // a newer document keeps waiting
	f.settle(t)
	r := f.doc(t, "urn:oid:7.1")
	wantState(t, r, docbridge.Failed, docbridge.PairingExpired)
	if r.Message == "" {
		t.Error("an expired document has no report message")
	}
	wantState(t, f.doc(t, "urn:oid:7.2"), docbridge.Held, docbridge.NotPaired)

	// The pairing arrives: the document still waiting is delivered, the
	// expired one stays failed until someone retries it.
	f.pair(t)
	f.settle(t)
	wantState(t, f.doc(t, "urn:oid:7.2"), docbridge.Delivered, "")
	wantState(t, f.doc(t, "urn:oid:7.1"), docbridge.Failed, docbridge.PairingExpired)
}

func TestHoldMaxZeroWaitsForever(t *testing.T) {
	f := newFixture(t, nil)
	f.accept(t, "urn:oid:7.3")
	f.settle(t)
	f.now = f.now.Add(10 * 365 * 24 * time.Hour)
	f.settle(t)
	wantState(t, f.doc(t, "urn:oid:7.3"), docbridge.Held, docbridge.NotPaired)
}

// A pairing revoked between match and delivery (pair revoke, a refused
// refresh): deliver's own match says so, nothing is sent, and the stage
// does not fail on the pairing it has not got.
func TestRevokedBetweenMatchAndDelivery(t *testing.T) {
	f := newFixture(t, nil)
	f.pair(t)
	f.accept(t, "urn:oid:7.4")
	ctx := context.Background()
	for _, step := range []func(context.Context) (bool, error){f.p.convertDue, f.p.matchDue} {
		if _, err := step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	wantState(t, f.doc(t, "urn:oid:7.4"), docbridge.Matched, "")
	p, err := f.st.Pairing(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	p.Revoked = true
	if err := f.st.PutPairing(ctx, p); err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	wantState(t, f.doc(t, "urn:oid:7.4"), docbridge.Held, docbridge.PairingRevoked)
	if n := f.sender.sent["urn:oid:7.4"]; n != 0 {
		t.Errorf("sent %d times with a revoked pairing", n)
	}
}
