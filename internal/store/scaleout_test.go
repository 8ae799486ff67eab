package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/google/go-cmp/cmp"
)

// Tests of several handles on one store, as several docbridge instances
// sharing a database have: each handle has its own pools, as a process
// would.

// openHandles opens n handles on one fresh store of engine e.
func openHandles(t *testing.T, e testEngine, n int) []*Store {
	t.Helper()
	o := e.fresh(t)
	stores := make([]*Store, n)
	for i := range stores {
		stores[i] = openTest(t, o)
	}
	return stores
}

// TestScaleOut runs the whole spine of 500 documents (100 inputs of 5)
// through three handles at once: every handle accepts every input (the
// same bytes from three instances), the inputs are claimed and converted,
// and the documents claimed and delivered, by two workers per handle. Each
// input must be stored once and converted once, each document delivered
// exactly once, and the audit chain must verify. SQLite, which serialises
// every write of the three handles through its file lock, runs it on 25
// inputs to keep the race-enabled suite fast.
func TestScaleOut(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		const handles, workers, perInput = 3, 2, 5
		inputs := 100
		if e.name == sqliteT.name {
			inputs = 25
		}
		ctx := context.Background()
		stores := openHandles(t, e, handles)
		body := func(i int) []byte { return fmt.Appendf(nil, "input %03d", i) }

		// Accept: each handle accepts every input, starting at another
		// one, so that the same bytes arrive at the same time.
		var mu sync.Mutex
		accepted := make(map[int][]docbridge.Accepted)
		var wg sync.WaitGroup
		for h, s := range stores {
			wg.Go(func() {
				for k := range inputs {
					i := (k + h*inputs/handles) % inputs
					a, err := acceptInput(ctx, s, envelope(body(i)))
					if err != nil {
						t.Errorf("handle %d: Accept(input %d): %v", h, i, err)
						return
					}
					mu.Lock()
					accepted[i] = append(accepted[i], a)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		for i, as := range accepted {
			fresh := 0
			for _, a := range as {
				if !a.Duplicate {
					fresh++
				}
				if a.ID != as[0].ID {
					t.Errorf("input %d: accepted as %d and %d", i, as[0].ID, a.ID)
				}
			}
			if fresh != 1 {
				t.Errorf("input %d: %d of %d Accepts were not duplicates, want 1", i, fresh, len(as))
			}
		}

		// Convert: claim inputs and record their documents.
		convertedBy := make(map[int64]int) // input id → conversions
		work(stores, workers, func(h int, s *Store) bool {
			ins, err := s.ClaimInputs(ctx, time.Now(), time.Minute, 4)
			if err != nil {
				t.Errorf("handle %d: ClaimInputs: %v", h, err)
				return false
			}
			for _, in := range ins {
				docs := make([]NewDocument, perInput)
				for j := range docs {
					id := fmt.Sprintf("urn:oid:1.2.%d.%d", in.ID, j)
					docs[j] = NewDocument{Doc: newDoc(id, "content of "+id), State: docbridge.Converted}
				}
				if _, err := s.RecordConversion(ctx, in.ID, docs); err != nil {
					t.Errorf("handle %d: RecordConversion(%d): %v", h, in.ID, err)
					return false
				}
				mu.Lock()
				convertedBy[in.ID]++
				mu.Unlock()
			}
			return len(ins) > 0
		})
		if len(convertedBy) != inputs {
			t.Errorf("%d inputs converted, want %d", len(convertedBy), inputs)
		}
		for id, n := range convertedBy {
			if n != 1 {
				t.Errorf("input %d claimed and converted %d times, want once", id, n)
			}
		}

		// Deliver: claim due documents and move them to delivered.
		delivered := make(map[int64]int) // document id → transitions
		work(stores, workers, func(h int, s *Store) bool {
			docs, err := s.Claim(ctx, docbridge.Converted, time.Now(), time.Minute, 10)
			if err != nil {
				t.Errorf("handle %d: Claim: %v", h, err)
				return false
			}
			for _, d := range docs {
				err := s.Transition(ctx, Transition{ID: d.ID, From: docbridge.Converted, To: docbridge.Delivered,
					Actor: fmt.Sprintf("deliver:%d", h), Attempted: true, MESID: fmt.Sprintf("mes-%d", d.ID)})
				if err != nil {
					t.Errorf("handle %d: Transition(%d): %v", h, d.ID, err)
					return false
				}
				mu.Lock()
				delivered[d.ID]++
				mu.Unlock()
			}
			return len(docs) > 0
		})
		if len(delivered) != inputs*perInput {
			t.Errorf("%d documents delivered, want %d", len(delivered), inputs*perInput)
		}
		for id, n := range delivered {
			if n != 1 {
				t.Errorf("document %d delivered %d times, want once", id, n)
			}
		}

		s := stores[0]
		if c, err := s.Counts(ctx); err != nil || !cmp.Equal(c, map[docbridge.State]int{docbridge.Delivered: inputs * perInput}) {
			t.Errorf("Counts = %v, %v; want %d delivered", c, err, inputs*perInput)
		}
		var odd int
		if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT doc_id FROM events GROUP BY doc_id HAVING COUNT(*) <> 2) AS odd`).Scan(&odd); err != nil || odd != 0 {
			t.Errorf("%d documents without exactly two events (%v), want none", odd, err)
		}
		for h, s := range stores {
			res, err := s.VerifyAudit(ctx, nil)
			if err != nil {
				t.Fatalf("handle %d: VerifyAudit: %v", h, err)
			}
			// accepted + converted per input, created + transition per document.
			if got, want := res.Records, int64(2*inputs+2*inputs*perInput); got != want {
				t.Errorf("handle %d: %d audit records, want %d", h, got, want)
			}
		}
	})
}

// work runs step on workers goroutines per store until step returns false
// on every one of them (nothing left to take, or a failure).
func work(stores []*Store, workers int, step func(h int, s *Store) bool) {
	var wg sync.WaitGroup
	for h, s := range stores {
		for range workers {
			wg.Go(func() {
				for step(h, s) {
				}
			})
		}
	}
	wg.Wait()
}

// TestRecordConversionConcurrent: the same conversion recorded at once
// through three handles is recorded once, and every call returns the same
// references.
func TestRecordConversionConcurrent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := context.Background()
		stores := openHandles(t, e, 3)
		a := accept(t, stores[0], []byte("one input"))
		docs := []NewDocument{
			{Doc: newDoc("urn:oid:9.1", "one"), State: docbridge.Converted},
			{Doc: newDoc("urn:oid:9.2", "two"), State: docbridge.Review, Reason: docbridge.MissingINS},
		}
		const calls = 3
		refs := make([][]DocRef, 2*calls)
		errs := make([]error, 2*calls)
		var wg sync.WaitGroup
		for i := range refs {
			wg.Go(func() { refs[i], errs[i] = stores[i%len(stores)].RecordConversion(ctx, a.ID, docs) })
		}
		wg.Wait()
		for i := range refs {
			if errs[i] != nil {
				t.Fatalf("RecordConversion %d: %v", i, errs[i])
			}
			if diff := cmp.Diff(refs[0], refs[i]); diff != "" {
				t.Errorf("RecordConversion %d (-first +this):\n%s", i, diff)
			}
		}
		if c, _ := stores[1].Counts(ctx); !cmp.Equal(c, map[docbridge.State]int{docbridge.Converted: 1, docbridge.Review: 1}) {
			t.Errorf("Counts = %v, want one converted and one in review", c)
		}
		res, err := stores[2].VerifyAudit(ctx, nil)
		if err != nil {
			t.Fatalf("VerifyAudit: %v", err)
		}
		if got, want := res.Records, int64(4); got != want { // accepted, 2 created, converted
			t.Errorf("%d audit records, want %d", got, want)
		}
	})
}

// TestTransitionConcurrent: one compare-and-set won by exactly one of
// several handles; the others get ErrConflict.
func TestTransitionConcurrent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := context.Background()
		stores := openHandles(t, e, 3)
		id := oneDoc(t, stores[0], "urn:oid:9.3")
		errs := make([]error, 9)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				errs[i] = stores[i%len(stores)].Transition(ctx, Transition{ID: id, From: docbridge.Converted, To: docbridge.Matched,
					Actor: fmt.Sprintf("match:%d", i)})
			})
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch err {
			case nil:
				won++
			case ErrConflict:
			default:
				t.Errorf("Transition %d: %v, want nil or ErrConflict", i, err)
			}
		}
		if won != 1 {
			t.Errorf("%d transitions succeeded, want 1", won)
		}
		if h, _ := stores[1].History(ctx, id); len(h) != 2 {
			t.Errorf("History has %d events, want 2", len(h))
		}
	})
}
