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
