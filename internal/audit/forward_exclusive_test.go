package audit

import (
	"context"
	"sync"
	"testing"
	"time"
)

// recordingSender records the sequence numbers it is given.
type recordingSender struct{ got *received }

func (s recordingSender) Send(_ context.Context, r *Record) error {
	s.got.add(r.Seq)
	return nil
}

// Two forwarders of one target on one outbox, as two instances sharing a
// store, take their batches in turn under one exclusive lock: each record
// is sent once, in order.
func TestForwardersShareTheOutboxUnderExclusive(t *testing.T) {
	out := &memOutbox{}
	const n = 300
	out.add(chain(n)...)
	got := &received{}
	var mu sync.Mutex
	exclusive := func(ctx context.Context, _ string, fn func(context.Context) error) (bool, error) {
		if !mu.TryLock() {
			return false, nil
		}
		defer mu.Unlock()
		return true, fn(ctx)
	}
	for range 2 {
		runForwarder(t, NewForwarder(ForwarderOptions{Target: "fhir", Outbox: out, Sender: recordingSender{got},
			Exclusive: exclusive, Batch: 7, Poll: time.Millisecond}))
	}
	waitUntil(t, "the outbox drained", func() bool { return out.len() == 0 })
	checkOnceInOrder(t, got.get(), n)
}
