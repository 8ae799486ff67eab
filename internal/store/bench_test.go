package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
)

// BenchmarkAccept accepts distinct 5 KB inputs: content write, fsync,
// rename, directory fsync and one committed row each.
func BenchmarkAccept(b *testing.B) { forEachEngineB(b, benchAccept) }

func benchAccept(b *testing.B, eng testEngine) {
	s := openBench(b, eng)
	ctx := context.Background()
	body := bytes.Repeat([]byte("OBX|1|TX|^^^^^|1|résultat normal|\r"), 5<<10/36)
	r := bytes.NewReader(nil)
	e := &docbridge.Envelope{Intake: "bench", Source: "bench", Body: r}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	for i := 0; b.Loop(); i++ {
		binary.BigEndian.PutUint64(body, uint64(i)) // distinct bytes: no duplicates
		r.Reset(body)
		if _, err := acceptInput(ctx, s, e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAcceptParallel is BenchmarkAccept from 4 goroutines at once,
// as 4 MLLP connections do: what it measures is how well concurrent
// Accepts share their fsyncs and commits.
func BenchmarkAcceptParallel(b *testing.B) { forEachEngineB(b, benchAcceptParallel) }

func benchAcceptParallel(b *testing.B, eng testEngine) {
	const workers = 4
	s := openBench(b, eng)
	ctx := context.Background()
	var seq atomic.Int64
	var wg sync.WaitGroup
	b.SetBytes(5 << 10)
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	for range workers {
		wg.Go(func() {
			body := bytes.Repeat([]byte("OBX|1|TX|^^^^^|1|résultat normal|\r"), 5<<10/36)
			r := bytes.NewReader(nil)
			e := &docbridge.Envelope{Intake: "bench", Source: "bench", Body: r}
			for i := seq.Add(1); i <= int64(b.N); i = seq.Add(1) {
				binary.BigEndian.PutUint64(body, uint64(i)) // distinct bytes: no duplicates
				r.Reset(body)
				if _, err := acceptInput(ctx, s, e); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkAcceptConvertParallel is what 4 MLLP connections ask of the
// store: from 4 goroutines at once, distinct 5 KB inputs accepted, each
// with one 5 KB document converted from it, either in two calls (Accept,
// then RecordConversion), in one (AcceptConverted), or answered from the
// intake journal (AcceptJournaled; recorded later, not measured here).
func BenchmarkAcceptConvertParallel(b *testing.B) {
	forEachEngineB(b, func(b *testing.B, eng testEngine) {
		for _, mode := range []struct {
			name string
			fn   func(ctx context.Context, s *Store, e *docbridge.Envelope, doc NewDocument) error
		}{
			{"separate", func(ctx context.Context, s *Store, e *docbridge.Envelope, doc NewDocument) error {
				a, err := acceptInput(ctx, s, e)
				if err == nil {
					_, err = s.RecordConversion(ctx, a.ID, []NewDocument{doc})
				}
				return err
			}},
			{"together", func(ctx context.Context, s *Store, e *docbridge.Envelope, doc NewDocument) error {
				c, err := s.AcceptConverted(ctx, e, func(Input) (Conversion, error) {
					return Conversion{Docs: []NewDocument{doc}}, nil
				})
				if err == nil && c.State != docbridge.Converted {
					err = fmt.Errorf("input %s: %v", c.State, c.Deferred)
				}
				return err
			}},
			{"journaled", func(ctx context.Context, s *Store, e *docbridge.Envelope, doc NewDocument) error {
				e.Journal = true
				c, err := s.AcceptJournaled(ctx, e, func(Input) (Conversion, error) {
					return Conversion{Docs: []NewDocument{doc}}, nil
				}, func(context.Context) error { return nil })
				if err == nil && c.Journal == 0 && s.Journals() {
					err = fmt.Errorf("input %d not journaled", c.ID)
				}
				return err
			}},
		} {
			b.Run(mode.name, func(b *testing.B) { benchAcceptConvertParallel(b, eng, mode.fn) })
		}
	})
}

func benchAcceptConvertParallel(b *testing.B, eng testEngine, fn func(context.Context, *Store, *docbridge.Envelope, NewDocument) error) {
	const workers = 4
	s := openBench(b, eng)
	ctx := context.Background()
	var seq atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	for range workers {
		wg.Go(func() {
			body := bytes.Repeat([]byte("OBX|1|TX|^^^^^|1|résultat normal|\r"), 5<<10/36)
			content := bytes.Repeat([]byte("<text>résultat normal</text>"), 5<<10/29)
			r := bytes.NewReader(nil)
			e := &docbridge.Envelope{Intake: "bench", Source: "bench", Body: r}
			for i := seq.Add(1); i <= int64(b.N); i = seq.Add(1) {
				binary.BigEndian.PutUint64(body, uint64(i)) // distinct bytes: no duplicates
				binary.BigEndian.PutUint64(content, uint64(i))
				r.Reset(body)
				doc := NewDocument{Doc: newDoc(fmt.Sprintf("urn:oid:1.2.3.%d", i), string(content)), State: docbridge.Converted}
				if err := fn(ctx, s, e, doc); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkTransition moves one document back and forth between two
// states: one compare-and-set update, one event row and one audit record
// per commit.
func BenchmarkTransition(b *testing.B) { forEachEngineB(b, benchTransition) }

func benchTransition(b *testing.B, e testEngine) {
	s := openBench(b, e)
	ctx := context.Background()
	a, err := acceptInput(ctx, s, &docbridge.Envelope{Intake: "bench", Body: bytes.NewReader([]byte("input"))})
	if err != nil {
		b.Fatal(err)
	}
	refs, err := s.RecordConversion(ctx, a.ID, []NewDocument{{Doc: newDoc("urn:oid:1", "content"), State: docbridge.Matched}})
	if err != nil {
		b.Fatal(err)
	}
	t := Transition{ID: refs[0].ID, From: docbridge.Matched, To: docbridge.Held, Reason: docbridge.MESUnavailable,
		Actor: "deliver", Attempted: true, NextAttempt: time.Now().Add(time.Minute)}
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	for b.Loop() {
		if err := s.Transition(ctx, t); err != nil {
			b.Fatal(err)
		}
		t.From, t.To = t.To, t.From
	}
}

// forEachEngineB runs fn as one sub-benchmark per engine; the PostgreSQL
// one is skipped unless DOCBRIDGE_TEST_POSTGRES names a database.
func forEachEngineB(b *testing.B, fn func(b *testing.B, e testEngine)) {
	for _, e := range []testEngine{sqliteT, postgresT} {
		b.Run(e.name, func(b *testing.B) { fn(b, e) })
	}
}

// openBench opens a fresh store of engine e for a benchmark.
func openBench(b *testing.B, e testEngine) *Store {
	b.Helper()
	return openTest(b, e.fresh(b))
}

// reportCPU reports the process's CPU time (user and system, every
// goroutine: the committer's and the kernel's work for the fsyncs too) per
// operation as cpu-ns/op: on a shared machine it moves less than the wall
// time, which waits for the disk with everyone else. Call the function it
// returns when the measured loop ends.
func reportCPU(b *testing.B) func() {
	start := cpuTime(b)
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// cpuTime returns the process's user and system time in nanoseconds.
func cpuTime(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
