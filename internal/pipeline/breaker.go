package pipeline

import (
	"sync"
	"time"
)

// breaker stops deliveries to an endpoint that keeps failing, so that an
// outage costs one probe per cool-down instead of one request per document.
// After Threshold consecutive failures it opens for a cool-down that doubles
// at each new opening (Base … Max); when the cool-down has passed, the next
// request is a probe: success closes the breaker, failure reopens it.
type breaker struct {
	threshold int
	base, max time.Duration

	mu        sync.Mutex
	failures  int
	cooldown  time.Duration
	openUntil time.Time
}

func newBreaker(threshold int, base, maxd time.Duration) *breaker {
	return &breaker{threshold: threshold, base: base, max: maxd, cooldown: base}
}

// allow reports whether a request may be sent at now.
func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !now.Before(b.openUntil)
}

// record counts the outcome of a request. It reports whether this outcome
// opened the breaker, and until when.
func (b *breaker) record(failed bool, now time.Time) (opened bool, until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !failed {
		b.failures, b.cooldown, b.openUntil = 0, b.base, time.Time{}
		return false, time.Time{}
	}
	b.failures++
	if b.failures < b.threshold {
		return false, time.Time{}
	}
	b.openUntil = now.Add(b.cooldown)
	b.cooldown = min(2*b.cooldown, b.max)
	return true, b.openUntil
}
