package pipeline

import (
	"context"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// TestChainsJoinWhatASettleTouches: a replacement whose named version is
// not in the batch may settle that version inline (planFor → settle →
// deliverAt), and that delivery touches the versions it names in turn. A
// row of the batch touching those (here a deletion of the first version)
// must be in the same chain, or the two deliveries run in parallel on one
// document (MES gets "replace a1" and "delete a1" at once).
func TestChainsJoinWhatASettleTouches(t *testing.T) {
	f, _ := newVersionFixture(t, nil)
	// No pairing: every version stops held, which is enough for chains.
	f.accept(t, "urn:oid:40.1")
	f.accept(t, "urn:oid:40.2;replaces=urn:oid:40.1")
	f.accept(t, "urn:oid:40.3;replaces=urn:oid:40.2")
	f.accept(t, "urn:oid:40.1;delete")
	f.settle(t)
	r3 := f.version(t, "urn:oid:40.3", docbridge.Replace)
	del := f.version(t, "urn:oid:40.1", docbridge.Delete)
	groups, err := f.p.chains(context.Background(), []store.DocRow{r3, del})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 {
		t.Errorf("%d chains, want 1: settling urn:oid:40.2 for document %d touches urn:oid:40.1, which deletion %d deletes", len(groups), r3.ID, del.ID)
	}
	// Unrelated rows stay apart.
	f.accept(t, "urn:oid:41.1")
	f.settle(t)
	other := f.version(t, "urn:oid:41.1", docbridge.Create)
	if groups, err = f.p.chains(context.Background(), []store.DocRow{r3, other}); err != nil || len(groups) != 2 {
		t.Errorf("chains of unrelated rows: %d, %v; want 2", len(groups), err)
	}
}

// TestRetiredRowIsNotSentFromAStaleBatch: a replacement due before its
// never-sent original in one batch supersedes the original here and goes
// as a creation (planKnown). When that delivery fails, the original's row
// further down the chain, read before, must not be sent: it is
// superseded, and sending it would leave MES with the original beside the
// replacement once that is retried (as a creation), and a send no record
// tells of.
func TestRetiredRowIsNotSentFromAStaleBatch(t *testing.T) {
	down := &docbridge.Error{Reason: docbridge.MESUnavailable, Msg: "503"}
	f, w := newVersionFixture(t, map[string][]error{"urn:oid:42.2": {down}})
	f.pair(t)
	ctx := context.Background()
	f.accept(t, "urn:oid:42.1")
	f.accept(t, "urn:oid:42.2;replaces=urn:oid:42.1")
	if _, err := f.p.matchDue(ctx); err != nil {
		t.Fatal(err)
	}
	orig, repl := f.version(t, "urn:oid:42.1", docbridge.Create), f.version(t, "urn:oid:42.2", docbridge.Replace)
	if orig.State != docbridge.Matched || repl.State != docbridge.Matched {
		t.Fatalf("states %s, %s; want both matched", orig.State, repl.State)
	}
	// The replacement comes first, as when it was matched before its
	// original (an original confirmed in review later, say).
	if err := f.p.deliverRows(ctx, []store.DocRow{repl, orig}); err != nil {
		t.Fatal(err)
	}
	if got := f.sender.sent["urn:oid:42.1"]; got != 0 {
		t.Errorf("the superseded original was sent %d times (requests: %s)", got, w)
	}
	if got := f.version(t, "urn:oid:42.1", docbridge.Create); got.State != docbridge.Superseded {
		t.Errorf("original is %s, want superseded", got.State)
	}
}
