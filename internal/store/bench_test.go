package store

import (
	"bytes"
	"context"
	"encoding/binary"
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
	for i := 0; b.Loop(); i++ {
		binary.BigEndian.PutUint64(body, uint64(i)) // distinct bytes: no duplicates
		r.Reset(body)
		if _, err := s.Accept(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTransition moves one document back and forth between two
// states: one compare-and-set update, one event row and one audit record
// per commit.
func BenchmarkTransition(b *testing.B) { forEachEngineB(b, benchTransition) }

func benchTransition(b *testing.B, e testEngine) {
	s := openBench(b, e)
	ctx := context.Background()
	a, err := s.Accept(ctx, &docbridge.Envelope{Intake: "bench", Body: bytes.NewReader([]byte("input"))})
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
