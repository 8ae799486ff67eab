package pipeline

import (
	"context"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// TestResendOfARefusedInputAfterItsCorrection: an input refused for a
// document (here an INS with a wrong check key) is refused again when it
// is sent again, with the same words, even after a corrected version of
// the document superseded the refused one. Answering it accepted (an HL7
// AA) would tell the source that a message docbridge will never send was
// taken.
func TestResendOfARefusedInputAfterItsCorrection(t *testing.T) {
	f, _ := newVersionFixture(t, nil)
	f.pair(t)
	bad := "urn:oid:43.1;ins=180127512345600"
	first := f.accept(t, bad)
	if first.State != docbridge.Failed {
		t.Fatalf("first answer %s %s, want failed", first.State, first.Reason)
	}
	if acc := f.accept(t, "urn:oid:43.1;fixed=yes"); acc.State == docbridge.Failed {
		t.Fatalf("the correction was refused: %s %s", acc.Reason, acc.Message)
	}
	f.settle(t)
	rows, err := f.st.Documents(context.Background(), store.Filter{UniqueID: "urn:oid:43.1", State: docbridge.Superseded})
	if err != nil || len(rows) != 1 {
		t.Fatalf("superseded versions: %d, %v; want the refused one", len(rows), err)
	}
	again := f.accept(t, bad)
	if !again.Duplicate {
		t.Fatalf("the resend was not recognised as the same input")
	}
	if again.State != first.State || again.Reason != first.Reason || again.Message != first.Message {
		t.Errorf("resend answered %s %s %q, want as the first time: %s %s %q",
			again.State, again.Reason, again.Message, first.State, first.Reason, first.Message)
	}
}
