package pipeline

import (
	"sync"
	"time"
)

// breaker stops deliveries to an endpoint that keeps failing, so that an
// outage costs one probe per cool-down instead of one request per document.
// After Threshold consecutive failures it opens for a cool-down that doubles
// at each new opening (Base … Max); when the cool-down has passed, one
// request is let through as a probe while the others wait: its success
// closes the breaker, its failure reopens it. With several requests in
// flight, every outcome counts in the order they are recorded; one
// success closes the breaker, and failures recorded while it is open
// (requests sent before it opened) do not prolong it.
type breaker struct {
	threshold int
	base, max time.Duration

	mu        sync.Mutex
	failures  int
	cooldown  time.Duration
	openUntil time.Time
	probe     bool // a probe was let through since the breaker last opened
}

func newBreaker(threshold int, base, maxd time.Duration) *breaker {
	return &breaker{threshold: threshold, base: base, max: maxd, cooldown: base}
}

// allow reports whether a request may be sent at now; after a cool-down
// the first caller gets true (the probe) and the others false until the
// probe's outcome is recorded or Base has passed.
func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.openUntil.IsZero():
		return true
	case now.Before(b.openUntil):
		return false
	}
	b.openUntil, b.probe = now.Add(b.base), true
	return true
}

// waiting reports whether the breaker lets no request through at now: it
// is open and cooling down, or its probe is in flight. Unlike allow it
// never takes the probe.
func (b *breaker) waiting(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return now.Before(b.openUntil)
}

// record counts the outcome of a request. It reports whether this outcome
// opened the breaker, and until when.
func (b *breaker) record(failed bool, now time.Time) (opened bool, until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !failed {
		b.failures, b.cooldown, b.openUntil, b.probe = 0, b.base, time.Time{}, false
		return false, time.Time{}
	}
	b.failures++
	if b.failures < b.threshold || now.Before(b.openUntil) && !b.probe {
		// Below the threshold, or a request sent before the breaker
		// opened failing too: it is open already.
		return false, time.Time{}
	}
	b.probe = false
	b.openUntil = now.Add(b.cooldown)
	b.cooldown = min(2*b.cooldown, b.max)
	return true, b.openUntil
}
