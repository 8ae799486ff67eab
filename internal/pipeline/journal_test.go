package pipeline

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// acceptJournal accepts body as an MLLP intake does (Envelope.Journal).
func (f *fixture) acceptJournal(t *testing.T, body string) docbridge.Accepted {
	t.Helper()
	acc, err := f.p.Accept(context.Background(), &docbridge.Envelope{Intake: "mllp", Source: "s", ReceivedAt: f.now,
		Body: strings.NewReader(body), Waiting: true, Journal: true})
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

// TestJournaledInputs: what the conversion settles is answered from the
// journal and recorded later, in order (an original before its
// replacement); a refusal, a document whose id the store holds (a resend
// after a refusal, fixed) and a resend of recorded bytes are recorded and
// answered at once, as without the journal, after the journal's entries.
func TestJournaledInputs(t *testing.T) {
	f := newFixture(t, nil)
	f.pair(t)
	tests := []struct {
		body        string
		wantJournal bool
		wantState   docbridge.State
		wantReason  docbridge.Reason
	}{
		{"urn:oid:9.1", true, docbridge.Converted, ""},
		{"urn:oid:9.1", true, docbridge.Converted, ""}, // the same bytes, not recorded yet
		{"urn:oid:9.2;replaces=urn:oid:9.1", true, docbridge.Converted, ""},
		{"bad", false, docbridge.Failed, docbridge.Malformed}, // recorded after the entries before it
		{"urn:oid:9.3;ins=285047505612323", false, docbridge.Failed, docbridge.INSInvalid},
		{"urn:oid:9.3", false, docbridge.Converted, ""}, // the fix of the refused one: a correction
		{"urn:oid:9.1", false, docbridge.Converted, ""}, // the same bytes, recorded: a duplicate
	}
	for _, tt := range tests {
		acc := f.acceptJournal(t, tt.body)
		if got := acc.Journal != 0; got != tt.wantJournal || acc.State != tt.wantState || acc.Reason != tt.wantReason {
			t.Errorf("Accept(%q) = journal %d, input %d, %s/%s; want journaled %v, %s/%s",
				tt.body, acc.Journal, acc.ID, acc.State, acc.Reason, tt.wantJournal, tt.wantState, tt.wantReason)
		}
	}
	f.settle(t)
	wantState(t, f.doc(t, "urn:oid:9.1"), docbridge.Superseded, "")
	wantState(t, f.doc(t, "urn:oid:9.2"), docbridge.Delivered, "")
	rows, err := f.st.Documents(context.Background(), store.Filter{UniqueID: "urn:oid:9.3"})
	if err != nil || len(rows) != 2 {
		t.Fatalf("documents urn:oid:9.3: %d, %v; want the refused one and its fix", len(rows), err)
	}
	for _, r := range rows {
		if r.State != docbridge.Delivered && r.State != docbridge.Superseded {
			t.Errorf("urn:oid:9.3 document %d is %s/%s, want the fix delivered and the refused one superseded", r.ID, r.State, r.Reason)
		}
	}
	if n, err := f.st.JournalBacklog(context.Background()); err != nil || n != 0 {
		t.Errorf("JournalBacklog = %d, %v; want 0 once settled", n, err)
	}
	if got := f.requests(); got != 3 {
		t.Errorf("MES got %d requests, want 3 (9.1, its replacement 9.2, the fixed 9.3): the same bytes twice are one input", got)
	}
}

// TestJournalKeepsOrder: a message recorded at once (a refusal) comes
// after the journaled ones acknowledged before it. Here the same document
// id comes back with an invalid INS after its original was acknowledged:
// in order, the refusal stays refused beside the delivered original; out
// of order, the original would pass for the fix of the refusal.
func TestJournalKeepsOrder(t *testing.T) {
	f := newFixture(t, nil)
	f.pair(t)
	original := f.acceptJournal(t, "urn:oid:9.1")
	refused := f.acceptJournal(t, "urn:oid:9.1;ins=285047505612323")
	if original.Journal == 0 || refused.Journal != 0 || refused.State != docbridge.Failed {
		t.Fatalf("accepted: original %+v, refused %+v; want the original journaled, the refusal recorded at once", original, refused)
	}
	if n, err := f.st.JournalBacklog(context.Background()); err != nil || n != 0 {
		t.Errorf("JournalBacklog = %d, %v once the refusal is recorded; want 0: the original recorded first", n, err)
	}
	f.settle(t)
	rows, err := f.st.Documents(context.Background(), store.Filter{UniqueID: "urn:oid:9.1"})
	if err != nil || len(rows) != 2 {
		t.Fatalf("documents urn:oid:9.1: %d, %v; want the original and the refused one", len(rows), err)
	}
	for _, r := range rows {
		first := r.InputID < refused.ID
		if first && r.State != docbridge.Delivered || !first && r.State != docbridge.Failed {
			t.Errorf("document %d of input %d is %s/%s; want the original (recorded first) delivered, the later one failed",
				r.ID, r.InputID, r.State, r.Reason)
		}
	}
}

// TestJournalWaitsForSenders: while a sender waits for its answer, the
// journal's entries wait, until the senders pause for journalQuiet or
// until journalHold entries wait.
func TestJournalWaitsForSenders(t *testing.T) {
	tests := []struct {
		name    string
		release func(f *fixture, end func())
	}{
		{"the senders pause", func(_ *fixture, end func()) { end() }},
		{"the backlog reaches journalHold", func(f *fixture, _ func()) { f.p.journaled.Add(journalHold) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.acceptJournal(t, "urn:oid:9.1")
			end := f.p.senders.begin() // a sender waiting
			defer func() { end() }()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			applied := make(chan bool, 1)
			go func() {
				busy, err := f.p.applyJournal(ctx)
				if err != nil {
					t.Error(err)
				}
				applied <- busy
			}()
			select {
			case <-applied:
				t.Fatal("the journal was recorded while a sender waited for its answer")
			case <-time.After(4 * journalQuiet):
			}
			tt.release(f, func() { end(); end = func() {} })
			select {
			case busy := <-applied:
				if !busy {
					t.Error("applyJournal recorded nothing once released")
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the journal was not recorded 10 s after it was released")
			}
			if n, err := f.st.JournalBacklog(ctx); err != nil || n != 0 {
				t.Errorf("JournalBacklog = %d, %v; want 0", n, err)
			}
		})
	}
}
