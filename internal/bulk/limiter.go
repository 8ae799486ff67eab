package bulk

import (
	"context"
	"sync"
	"time"
)

// Limiter is a token bucket: Wait lets through at most Rate calls per
// second on average, with bursts of up to Burst. A nil *Limiter lets
// everything through. It is safe for concurrent use.
type Limiter struct {
	rate  float64
	burst float64

	mu     sync.Mutex
	tokens float64
	last   time.Time

	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// NewLimiter returns a Limiter of perSecond calls per second and bursts of
// burst (at least 1), or nil (no limit) when perSecond <= 0.
func NewLimiter(perSecond float64, burst int) *Limiter {
	if perSecond <= 0 {
		return nil
	}
	b := float64(max(burst, 1))
	return &Limiter{rate: perSecond, burst: b, tokens: b, now: time.Now, sleep: sleepCtx}
}

// Wait blocks until the caller may go on, or ctx is done (it then returns
// ctx's error; the token it reserved is not given back).
func (l *Limiter) Wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	return l.sleep(ctx, l.reserve())
}

// reserve takes one token and says how long to wait for it.
func (l *Limiter) reserve() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if !l.last.IsZero() {
		l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	}
	l.last = now
	l.tokens--
	if l.tokens >= 0 {
		return 0
	}
	return time.Duration(-l.tokens / l.rate * float64(time.Second))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
