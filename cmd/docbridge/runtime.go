package main

import (
	"os"
	"runtime"
	"runtime/debug"
)

// The Go runtime's settings when the environment does not set them
// (GOGC, GOMEMLIMIT, GOMAXPROCS: an operator's values win).
//
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
//
// procsPerCPU sets GOMAXPROCS to twice the CPUs docbridge may use (Go's
// default is one per CPU, or per CPU of a container's limit). The store's one writer spends most of its time in fsync, a
// blocking system call that hands its P (the right to run Go code) to
// the goroutines converting messages; back from the call, with every P
// busy, it waited for the conversions queued before it to finish — up to
// a millisecond per commit, with every MLLP sender waiting for that
// commit. With spare Ps it runs at once on its own thread, and the
// kernel, which favours a thread that slept in I/O, shares the CPUs:
// +15 % acknowledged MLLP messages per second and 10 % less CPU per
// message (BENCHMARKS.md).
const (
	gcPercent     = 400
	gcMemoryLimit = 48 << 20
	procsPerCPU   = 2
)

// tuneRuntime applies gcPercent, gcMemoryLimit and procsPerCPU, each
// unless its environment variable is set.
func tuneRuntime() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(gcMemoryLimit)
	}
	if os.Getenv("GOMAXPROCS") == "" {
		// The runtime's default: the CPUs, or the container's CPU limit.
		runtime.GOMAXPROCS(procsPerCPU * runtime.GOMAXPROCS(0))
	}
}
