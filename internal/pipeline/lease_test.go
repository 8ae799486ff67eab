package pipeline

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/identity"
)

// Two pipelines with a Lease on one store, as two instances on one
// database, run their stages at the same time: every document is sent
// once.
func TestLeasedPipelinesSendEachDocumentOnce(t *testing.T) {
	f := newFixture(t, nil)
	f.pair(t)
	const n = 60
	for i := range n {
		f.accept(t, fmt.Sprintf("urn:oid:1.2.3.%d", i))
	}
	second := New(Options{
		Store: f.st, Converter: ConverterFunc(fakeConvert),
		Checker: func(d *docbridge.Document) []docbridge.Problem {
			return identity.CheckDocument(d, identity.Options{Environment: identity.Test})
		},
		Matcher: &identity.Matcher{Pairings: f.st}, Sender: f.sender, Log: zerolog.Nop(),
		Now: func() time.Time { return f.now }, Lease: time.Minute, Batch: 3,
	})
	f.p.o.Lease, f.p.o.Batch = time.Minute, 3
	drainTogether(t, f.p, second)
	for i := range n {
		id := fmt.Sprintf("urn:oid:1.2.3.%d", i)
		if got := f.sender.sent[id]; got != 1 {
			t.Errorf("%s sent %d times, want once", id, got)
		}
		wantState(t, f.doc(t, id), docbridge.Delivered, "")
	}
}

// A document claimed by an instance that died is delivered by another once
// the lease has ended, and not before.
func TestLeaseOfADeadInstanceEnds(t *testing.T) {
	f := newFixture(t, nil)
	f.pair(t)
	f.accept(t, "urn:oid:1.2.3.9")
	f.p.o.Lease = time.Minute
	if _, err := f.p.matchDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The dead instance: it claimed the matched document and never came back.
	if rows, err := f.st.Claim(context.Background(), docbridge.Matched, f.now, time.Minute, 0); err != nil || len(rows) != 1 {
		t.Fatalf("claim: %d rows, %v", len(rows), err)
	}
	f.settle(t)
	if got := f.sender.sent["urn:oid:1.2.3.9"]; got != 0 {
		t.Fatalf("sent %d times while another instance held the lease", got)
	}
	f.now = f.now.Add(time.Minute + time.Second)
	f.settle(t)
	if got := f.sender.sent["urn:oid:1.2.3.9"]; got != 1 {
		t.Errorf("sent %d times after the lease ended, want once", got)
	}
	wantState(t, f.doc(t, "urn:oid:1.2.3.9"), docbridge.Delivered, "")
}

// drainTogether runs the stages of every pipeline at once, each in its own
// goroutine, until none of them finds work, and fails t on a stage error.
func drainTogether(t *testing.T, ps ...*Pipeline) {
	t.Helper()
	ctx := context.Background()
	done := make(chan error, len(ps))
	for _, p := range ps {
		go func() {
			for {
				busy := false
				for _, step := range []func(context.Context) (bool, error){p.convertDue, p.matchDue, p.deliverDue} {
					b, err := step(ctx)
					if err != nil {
						done <- err
						return
					}
					busy = busy || b
				}
				if !busy {
					done <- nil
					return
				}
			}
		}()
	}
	for range ps {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
