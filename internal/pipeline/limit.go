package pipeline

import (
	"context"
	"sync"
	"time"
)

// limit bounds the requests in flight to one MES endpoint with an
// adaptive limit (AIMD): it grows by one request per limit's worth of
// successes, up to max, and halves, down to one, when MES says it is
// overloaded or unavailable (429, 5xx, a timeout: MESUnavailable). A
// Retry-After also pauses the whole endpoint until it has passed. One
// overload answer halves the limit once: requests started before the last
// decrease neither decrease it again nor grow it, so that the answers to
// one burst of requests count as one signal.
type limit struct {
	max int

	mu       sync.Mutex
	cur      float64   // the adaptive limit, 1 … max
	inFlight int       // requests holding a slot
	lastCut  time.Time // when the limit was last halved
	paused   time.Time // no new request before this (Retry-After)
	freed    chan struct{}
}

func newLimit(maxInFlight int) *limit {
	return &limit{max: maxInFlight, cur: float64(maxInFlight), freed: make(chan struct{})}
}

// acquire blocks until a request may start (fewer than the current limit
// are in flight) or ctx is done; release must then free the slot. It
// returns ctx's error when ctx is done first.
func (l *limit) acquire(ctx context.Context) error {
	for {
		l.mu.Lock()
		if l.inFlight < int(l.cur) {
			l.inFlight++
			l.mu.Unlock()
			return nil
		}
		freed := l.freed
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-freed:
		}
	}
}

// release frees a slot acquire gave.
func (l *limit) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inFlight--
	close(l.freed)
	l.freed = make(chan struct{})
}

// adapt adapts the limit to the outcome of a request sent at sent and
// answered at now: overloaded halves it (once per burst, see limit),
// success grows it (when sent after the last decrease). retryAfter, when positive, pauses new requests until
// now+retryAfter.
func (l *limit) adapt(sent time.Time, overloaded bool, retryAfter time.Duration, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case overloaded && sent.After(l.lastCut):
		l.cur = max(1, l.cur/2)
		l.lastCut = now
	case !overloaded && sent.After(l.lastCut):
		l.cur = min(float64(l.max), l.cur+1/l.cur)
	}
	if retryAfter > 0 && now.Add(retryAfter).After(l.paused) {
		l.paused = now.Add(retryAfter)
	}
	// A smaller limit frees no slot; a larger one may.
	close(l.freed)
	l.freed = make(chan struct{})
}

// open reports whether new requests may start at now (no Retry-After
// pause is running).
func (l *limit) open(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return !now.Before(l.paused)
}

// current returns the adaptive limit, rounded down.
func (l *limit) current() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int(l.cur)
}
