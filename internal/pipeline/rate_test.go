package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRateLimiterDelays(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		rate  float64
		burst int
		at    []time.Duration // when each call comes, from t0
		want  []time.Duration // how long each must wait
	}{
		{"burst then paced", 2, 2, []time.Duration{0, 0, 0, 0}, []time.Duration{0, 0, 500 * time.Millisecond, time.Second}},
		{"refills over time", 1, 1, []time.Duration{0, time.Second, 3 * time.Second}, []time.Duration{0, 0, 0}},
		{"bucket never exceeds burst", 10, 1, []time.Duration{0, 10 * time.Second, 10 * time.Second}, []time.Duration{0, 0, 100 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newRateLimiter(tt.rate, tt.burst)
			var got []time.Duration
			i := 0
			l.now = func() time.Time { return t0.Add(tt.at[i]) }
			l.sleep = func(_ context.Context, d time.Duration) error { got = append(got, d); return nil }
			for i = range tt.at {
				l.wait(context.Background())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("delays (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNilRateLimiterLetsThrough(t *testing.T) {
	var l *rateLimiter = newRateLimiter(0, 1)
	if err := l.wait(context.Background()); err != nil {
		t.Errorf("Wait = %v, want nil", err)
	}
}
