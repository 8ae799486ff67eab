package pipeline

import (
	"context"
	"sync"
	"time"
)

// rateLimiter is a token bucket: wait lets through at most rate calls per
// second on average, with bursts of up to burst. A nil *rateLimiter lets
// everything through. It is safe for concurrent use. It bounds the
// deliveries to MES (Options.Rate), beside the adaptive limit of requests
// in flight (limit.go).
type rateLimiter struct {
	rate  float64
	burst float64

	mu     sync.Mutex
	tokens float64
	last   time.Time

	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// newRateLimiter returns a rateLimiter of perSecond calls per second and
// bursts of burst (at least 1), or nil (no limit) when perSecond <= 0.
func newRateLimiter(perSecond float64, burst int) *rateLimiter {
	if perSecond <= 0 {
		return nil
	}
	b := float64(max(burst, 1))
	return &rateLimiter{rate: perSecond, burst: b, tokens: b, now: time.Now, sleep: sleepCtx}
}

// wait blocks until the caller may go on, or ctx is done (it then returns
// ctx's error; the token it reserved is not given back).
func (l *rateLimiter) wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	return l.sleep(ctx, l.reserve())
}

// reserve takes one token and says how long to wait for it.
func (l *rateLimiter) reserve() time.Duration {
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
