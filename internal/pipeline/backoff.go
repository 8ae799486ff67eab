package pipeline

import (
	"math/rand/v2"
	"time"
)

// Backoff computes capped exponential delays with jitter.
type Backoff struct {
	Base time.Duration // first delay; 0 means 5 s
	Max  time.Duration // cap; 0 means 10 min
}

// Delay returns the delay before attempt number n+1 after n failed ones
// (n ≥ 1), between half and all of min(Base·2^(n−1), Max). A positive hint
// (MES's Retry-After) is honoured when it is longer.
func (b Backoff) Delay(n int, hint time.Duration) time.Duration {
	base, maxd := b.bounds()
	d := base
	for i := 1; i < n && d < maxd; i++ {
		d *= 2
	}
	d = min(d, maxd)
	d = d/2 + rand.N(d/2+1)
	return max(d, hint)
}

// bounds returns Base and Max with their defaults.
func (b Backoff) bounds() (base, maxd time.Duration) {
	base, maxd = b.Base, b.Max
	if base <= 0 {
		base = 5 * time.Second
	}
	if maxd <= 0 {
		maxd = 10 * time.Minute
	}
	return base, maxd
}
