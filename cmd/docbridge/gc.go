package main

import (
	"os"
	"runtime/debug"
)

// The garbage collector's settings when the environment does not set
// them (GOGC, GOMEMLIMIT: an operator's values win). docbridge's live heap
// is small (a few MiB: documents are streamed, not held) and it allocates
// fast while converting, so with Go's default GOGC=100 it collects after
// every few MiB allocated, many times a second under load. gcPercent lets
// the heap grow to five times what is live before a collection (with
// another change of the same commit: 14% less CPU per acknowledged MLLP
// message, BENCHMARKS.md); gcMemoryLimit keeps that growth from costing
// memory when the live heap is big (the collector then runs as often as
// needed to stay under it, as with GOGC=100 it would at twice the live
// heap).
const (
	gcPercent     = 400
	gcMemoryLimit = 48 << 20
)

// tuneGC applies gcPercent and gcMemoryLimit, each unless its environment
// variable is set.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(gcMemoryLimit)
	}
}
