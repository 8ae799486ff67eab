package bulk

import (
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	tests := []struct {
		done, total int64
		elapsed     time.Duration
		want        string
	}{
		{0, 100, 0, "[..............................]   0%  0/100 files  0/s  ETA -"},
		{50, 100, 10 * time.Second, "[###############...............]  50%  50/100 files  5/s  ETA 10s"},
		{100, 100, 20 * time.Second, "[##############################] 100%  100/100 files  5/s  ETA 0s"},
		{5, 0, time.Second, "[..............................]   0%  5/0 files  5/s  ETA -"},
	}
	for _, tt := range tests {
		if got := progressLine("files", tt.done, tt.total, tt.elapsed); got != tt.want {
			t.Errorf("progressLine(%d, %d, %v) = %q, want %q", tt.done, tt.total, tt.elapsed, got, tt.want)
		}
	}
}

var testTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
