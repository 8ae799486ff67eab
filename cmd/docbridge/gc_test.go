package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestTuneGC: docbridge's settings apply unless the environment sets
// GOGC or GOMEMLIMIT, whose values win.
func TestTuneGC(t *testing.T) {
	tests := []struct {
		gogc, memlimit string
		percent, limit int
		wantP          int
		wantL          int64
	}{
		{"", "", 100, math.MaxInt64, gcPercent, gcMemoryLimit},
		{"250", "", 250, math.MaxInt64, 250, gcMemoryLimit},
		{"", "1GiB", 100, 1 << 30, gcPercent, 1 << 30},
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	for _, tt := range tests {
		t.Setenv("GOGC", tt.gogc)
		t.Setenv("GOMEMLIMIT", tt.memlimit)
		debug.SetGCPercent(tt.percent) // what the runtime read from the environment
		debug.SetMemoryLimit(int64(tt.limit))
		tuneGC()
		if p, l := debug.SetGCPercent(tt.percent), debug.SetMemoryLimit(-1); p != tt.wantP || l != tt.wantL {
			t.Errorf("GOGC=%q GOMEMLIMIT=%q: percent %d, limit %d; want %d, %d", tt.gogc, tt.memlimit, p, l, tt.wantP, tt.wantL)
		}
	}
}
