package pipeline

import (
	"context"
	"sync"
	"time"
)

// maxYield is the longest the match and deliver stages wait for the
// senders that wait for an answer (answering): under a flood that never
// pauses, each still takes a batch every maxYield.
const maxYield = 200 * time.Millisecond

// answering counts the inputs being accepted whose sender waits for the
// answer (docbridge.Envelope.Waiting: an HL7 v2 sender for its ACK, a FHIR
// client for its response). Such a sender is blocked until docbridge
// answers, and an LIS sends its next result only then; a document that is
// stored is docbridge's responsibility and its delivery can come a moment
// later. So the match and deliver stages, whose transactions and CPU
// compete with the acknowledgements, wait until no such input is being
// accepted, for at most maxYield after their last step.
type answering struct {
	mu    sync.Mutex
	n     int
	quiet chan struct{} // closed while n == 0
	last  time.Time     // when n last came to 0
}

func newAnswering() *answering {
	a := &answering{quiet: make(chan struct{})}
	close(a.quiet)
	return a
}

// begin counts one input in; the returned func counts it out.
func (a *answering) begin() (end func()) {
	a.mu.Lock()
	if a.n == 0 {
		a.quiet = make(chan struct{})
	}
	a.n++
	a.mu.Unlock()
	return func() {
		a.mu.Lock()
		if a.n--; a.n == 0 {
			close(a.quiet)
			a.last = time.Now()
		}
		a.mu.Unlock()
	}
}

// wait returns once no input with a waiting sender is being accepted, or
// at maxYield after since, or when ctx is done.
func (a *answering) wait(ctx context.Context, since time.Time) {
	a.mu.Lock()
	q := a.quiet
	a.mu.Unlock()
	select {
	case <-q:
		return
	default:
	}
	left := maxYield - time.Since(since)
	if left <= 0 {
		return
	}
	t := time.NewTimer(left)
	defer t.Stop()
	select {
	case <-q:
	case <-t.C:
	case <-ctx.Done():
	}
}

// quietFor reports whether no input with a waiting sender has been
// accepted for d: none is being accepted, and the last one was answered
// at least d ago.
func (a *answering) quietFor(d time.Duration) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n == 0 && time.Since(a.last) >= d
}
