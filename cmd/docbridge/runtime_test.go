package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

// TestTuneRuntime: docbridge's settings apply unless the environment sets
// GOGC, GOMEMLIMIT or GOMAXPROCS, whose values win.
func TestTuneRuntime(t *testing.T) {
	const cpus = 3 // the runtime's default, from the machine or its container
	tests := []struct {
		gogc, memlimit, maxprocs string
		percent, limit, procs    int // what the runtime read from the environment
		wantP                    int
		wantL                    int64
		wantProcs                int
	}{
		{"", "", "", 100, math.MaxInt64, cpus, gcPercent, gcMemoryLimit, procsPerCPU * cpus},
		{"250", "", "", 250, math.MaxInt64, cpus, 250, gcMemoryLimit, procsPerCPU * cpus},
		{"", "1GiB", "", 100, 1 << 30, cpus, gcPercent, 1 << 30, procsPerCPU * cpus},
		{"", "", "1", 100, math.MaxInt64, 1, gcPercent, gcMemoryLimit, 1},
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, tt := range tests {
		t.Setenv("GOGC", tt.gogc)
		t.Setenv("GOMEMLIMIT", tt.memlimit)
		t.Setenv("GOMAXPROCS", tt.maxprocs)
		debug.SetGCPercent(tt.percent)
		debug.SetMemoryLimit(int64(tt.limit))
		runtime.GOMAXPROCS(tt.procs)
		tuneRuntime()
		p, l, procs := debug.SetGCPercent(tt.percent), debug.SetMemoryLimit(-1), runtime.GOMAXPROCS(0)
		if p != tt.wantP || l != tt.wantL || procs != tt.wantProcs {
			t.Errorf("GOGC=%q GOMEMLIMIT=%q GOMAXPROCS=%q: percent %d, limit %d, procs %d; want %d, %d, %d",
				tt.gogc, tt.memlimit, tt.maxprocs, p, l, procs, tt.wantP, tt.wantL, tt.wantProcs)
		}
	}
}
