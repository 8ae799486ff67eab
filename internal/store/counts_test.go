package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
)

// countsOp is one random operation of TestCountsKept's writers.
type countsOp int

const (
	opConvert countsOp = iota // a new input with one to three documents
	opTransit                 // a document moves to another state and reason
	opRetry                   // a document stays in its state with another reason
	opCorrect                 // a new version of a document supersedes it
	countsOps
)

// testStates and testReasons are what the writers move documents to.
var (
	testStates  = []docbridge.State{docbridge.Converted, docbridge.Matched, docbridge.Delivered, docbridge.Held, docbridge.Review, docbridge.Failed}
	testReasons = []docbridge.Reason{"", docbridge.NotPaired, docbridge.MESUnavailable, docbridge.UnmappedCode, docbridge.Duplicate, docbridge.Malformed}
	testKinds   = []docbridge.Kind{docbridge.KindDocument, docbridge.KindMeasurement, docbridge.KindAppointment}
	testIntakes = []string{"drop", "mllp", "fhir"}
)

// TestCountsKept: after a random mix of inputs converted into documents
// of every kind, transitions, retries and corrections, run by three
// handles at once (three instances on one database) with two writers
// each, the counts kept by the store equal a full recount, group by group.
func TestCountsKept(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		const handles, writers, opsPerWriter = 3, 2, 60
		ctx := context.Background()
		stores := openHandles(t, e, handles)
		var mu sync.Mutex
		var docs []int64 // every document id recorded
		var wg sync.WaitGroup
		for h, s := range stores {
			for w := range writers {
				rng := rand.New(rand.NewPCG(uint64(h), uint64(w)))
				wg.Go(func() {
					for i := range opsPerWriter {
						mu.Lock()
						var id int64
						if len(docs) > 0 {
							id = docs[rng.IntN(len(docs))]
						}
						mu.Unlock()
						op := countsOp(rng.IntN(int(countsOps)))
						if id == 0 {
							op = opConvert
						}
						ids, err := countsStep(ctx, s, rng, op, id, fmt.Sprintf("h%d-w%d-%d", h, w, i))
						if err != nil {
							t.Errorf("handle %d writer %d op %d: %v", h, w, op, err)
							return
						}
						mu.Lock()
						docs = append(docs, ids...)
						mu.Unlock()
					}
				})
			}
		}
		wg.Wait()
		checkCounts(t, stores[0])
		kept, _ := stores[0].CountsByGroup(ctx)
		if len(kept) < 10 {
			t.Errorf("only %d groups after the random mix: the test moved too little to prove anything", len(kept))
		}
	})
}

// countsStep runs one operation of kind op on s; id is an existing
// document (0: none yet) and name makes the new input's bytes unique. It
// returns the ids of the documents it created. A transition that lost a
// race with another writer (ErrConflict) is not an error.
func countsStep(ctx context.Context, s *Store, rng *rand.Rand, op countsOp, id int64, name string) ([]int64, error) {
	switch op {
	case opConvert:
		env := envelope([]byte("input " + name))
		env.Intake = testIntakes[rng.IntN(len(testIntakes))]
		a, err := acceptInput(ctx, s, env)
		if err != nil {
			return nil, err
		}
		var nds []NewDocument
		for j := range 1 + rng.IntN(3) {
			d := newDoc(fmt.Sprintf("urn:oid:1.2.250.1.999.%s.%d", strings.ReplaceAll(name, "-", "."), j), "content "+name)
			d.Kind = testKinds[rng.IntN(len(testKinds))]
			nds = append(nds, NewDocument{Doc: d, State: testStates[rng.IntN(2)*4]}) // converted or review
		}
		refs, err := s.RecordConversion(ctx, a.ID, nds)
		var ids []int64
		for _, r := range refs {
			ids = append(ids, r.ID)
		}
		return ids, err
	case opCorrect:
		d, err := s.Document(ctx, id)
		if err != nil {
			return nil, err
		}
		nd := *d.Doc
		nd.Content = []byte("corrected " + name)
		nd.Size, nd.SHA256 = int64(len(nd.Content)), hexSHA256(nd.Content)
		env := envelope([]byte("correction " + name))
		a, err := acceptInput(ctx, s, env)
		if err != nil {
			return nil, err
		}
		refs, err := s.RecordConversion(ctx, a.ID, []NewDocument{{Doc: &nd, State: docbridge.Converted}})
		if err != nil {
			return nil, err
		}
		return []int64{refs[0].ID}, nil
	}
	d, err := s.Document(ctx, id)
	if err != nil {
		return nil, err
	}
	to := d.State
	if op == opTransit {
		to = testStates[rng.IntN(len(testStates))]
	}
	err = s.Transition(ctx, Transition{ID: id, From: d.State, To: to,
		Reason: testReasons[rng.IntN(len(testReasons))], Actor: "test", NextAttempt: time.Now()})
	if err == ErrConflict {
		err = nil
	}
	return nil, err
}

// checkCounts fails the test when the counts s keeps differ from a full
// recount.
func checkCounts(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	kept, err := s.CountsByGroup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	recount, err := s.RecountByGroup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(recount, kept); diff != "" {
		t.Errorf("kept counts differ from a recount (-recount +kept):\n%s", diff)
	}
}

// countsStep0 is the index of the schema step that creates
// document_counts: the version a store has before it.
func countsStep0(t *testing.T) int {
	for i, m := range sqliteMigrations {
		if strings.Contains(m, "CREATE TABLE document_counts") {
			return i
		}
	}
	t.Fatal("no schema step creates document_counts")
	return 0
}

// TestMigrateCounts: a store written before the counts were kept gets
// them filled from its rows by the migration, and keeps them from then on.
func TestMigrateCounts(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := context.Background()
		o := e.fresh(t)
		var eng engine = &sqliteEngine{}
		if o.Postgres != "" {
			eng = &pgEngine{url: o.Postgres}
		}
		old := &Store{dir: o.Dir, now: time.Now, eng: olderEngine{eng, countsStep0(t)}}
		if err := old.makeDirs(); err != nil {
			t.Fatal(err)
		}
		if err := old.eng.open(ctx, old); err != nil {
			t.Fatalf("open before the counts: %v", err)
		}
		for i, in := range []struct{ intake, state, reason, kind string }{
			{"drop", "delivered", "", ""}, {"drop", "delivered", "", ""}, {"mllp", "delivered", "", "measurement"},
			{"mllp", "held", "not-paired", ""}, {"drop", "review", "unmapped-code", "appointment"},
		} {
			if _, err := old.w.Exec(`INSERT INTO inputs (intake, source, message_id, sha256, size, received_at, state, reason, message, updated_at)
	VALUES (?, 's', '', ?, 1, 1, 'converted', '', '', 1)`, in.intake, hexSHA256(fmt.Appendf(nil, "%d", i))); err != nil {
				t.Fatal(err)
			}
			if _, err := old.w.Exec(`INSERT INTO documents (input_id, unique_id, sha256, state, reason, message, attempts, next_attempt_at,
	pairing_id, mes_id, meta, created_at, updated_at, version_key, kind)
	VALUES (?, ?, 'x', ?, ?, '', 0, 1, '', '', '{}', 1, 1, ?, ?)`, i+1, fmt.Sprint("u", i), in.state, in.reason, fmt.Sprint("k", i), in.kind); err != nil {
				t.Fatal(err)
			}
		}
		old.Close()

		s := openTest(t, o)
		got, err := s.CountsByGroup(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []Count{
			{State: "delivered", Intake: "drop", N: 2},
			{State: "delivered", Intake: "mllp", Kind: docbridge.KindMeasurement, N: 1},
			{State: "held", Reason: docbridge.NotPaired, Intake: "mllp", N: 1},
			{State: "review", Reason: docbridge.UnmappedCode, Intake: "drop", Kind: docbridge.KindAppointment, N: 1},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("counts after the migration (-want +got):\n%s", diff)
		}
		transition(t, s, Transition{ID: 4, From: docbridge.Held, To: docbridge.Matched, Actor: "test"})
		checkCounts(t, s)
	})
}

// TestDocumentsNewestFirst: the console's list, by state, reason, intake and
// date, newest first, in pages that follow one another by id (keyset), on
// both engines.
func TestDocumentsNewestFirst(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := context.Background()
		clk := newClock()
		s := e.open(t, Options{Now: clk.Now})
		// 12 documents: ids 1..12; even ones delivered (reason "" or
		// duplicate), ids 3, 9 held not-paired, the rest converted; the
		// intake alternates drop, mllp, fhir.
		for i := 1; i <= 12; i++ {
			env := envelope([]byte(fmt.Sprint("input ", i)))
			env.Intake = testIntakes[(i-1)%3]
			a, err := acceptInput(ctx, s, env)
			if err != nil {
				t.Fatal(err)
			}
			refs, err := s.RecordConversion(ctx, a.ID, []NewDocument{{Doc: newDoc(fmt.Sprint("urn:oid:1.9.", i), fmt.Sprint("c", i)), State: docbridge.Converted}})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case i%4 == 0:
				transition(t, s, Transition{ID: refs[0].ID, From: docbridge.Converted, To: docbridge.Delivered, Reason: docbridge.Duplicate})
			case i%2 == 0:
				transition(t, s, Transition{ID: refs[0].ID, From: docbridge.Converted, To: docbridge.Delivered})
			case i == 3 || i == 9:
				transition(t, s, Transition{ID: refs[0].ID, From: docbridge.Converted, To: docbridge.Held, Reason: docbridge.NotPaired})
			}
			clk.Advance(24 * time.Hour)
		}
		day := func(i int) time.Time { return newClock().Now().Add(time.Duration(i-1) * 24 * time.Hour) }
		tests := []struct {
			name string
			q    Filter
			want []int64
		}{
			{"all", Filter{Newest: true}, []int64{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
			{"delivered", Filter{Newest: true, State: docbridge.Delivered}, []int64{12, 10, 8, 6, 4, 2}},
			{"delivered page 1", Filter{Newest: true, State: docbridge.Delivered, Limit: 4}, []int64{12, 10, 8, 6}},
			{"delivered page 2", Filter{Newest: true, State: docbridge.Delivered, Limit: 4, Before: 6}, []int64{4, 2}},
			{"duplicate", Filter{Newest: true, Reason: docbridge.Duplicate}, []int64{12, 8, 4}},
			{"delivered without reason", Filter{Newest: true, State: docbridge.Delivered, Reason: "x"}, nil},
			{"held", Filter{Newest: true, State: docbridge.Held}, []int64{9, 3}},
			{"converted via mllp", Filter{Newest: true, State: docbridge.Converted, Intake: "mllp"}, []int64{11, 5}},
			{"mllp", Filter{Newest: true, Intake: "mllp", Limit: 3}, []int64{11, 8, 5}},
			{"mllp page 2", Filter{Newest: true, Intake: "mllp", Limit: 3, Before: 5}, []int64{2}},
			{"delivered since day 5 until day 9", Filter{Newest: true, State: docbridge.Delivered, Since: day(5), Until: day(9)}, []int64{8, 6}},
			{"since day 11", Filter{Newest: true, Since: day(11)}, []int64{12, 11}},
			{"until day 3", Filter{Newest: true, Until: day(3)}, []int64{2, 1}},
			{"held until day 9", Filter{Newest: true, State: docbridge.Held, Until: day(9)}, []int64{3}},
			{"since after the last", Filter{Newest: true, Since: day(13)}, nil},
			{"until before the first", Filter{Newest: true, Until: day(1)}, nil},
			{"since day 2 below 5", Filter{Newest: true, Since: day(2), Before: 5}, []int64{4, 3, 2}},
		}
		for _, tc := range tests {
			rows, err := s.Documents(ctx, tc.q)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var got []int64
			for _, r := range rows {
				got = append(got, r.ID)
				if want := testIntakes[(r.InputID-1)%3]; r.Intake != want {
					t.Errorf("%s: document %d listed with intake %q, want %q", tc.name, r.ID, r.Intake, want)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s: ids (-want +got):\n%s", tc.name, diff)
			}
		}
		intakes, err := s.Intakes(ctx)
		if err != nil || !cmp.Equal(intakes, []string{"drop", "fhir", "mllp"}) {
			t.Errorf("Intakes = %v, %v; want drop, fhir, mllp", intakes, err)
		}
		counts, err := s.CountsByGroup(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ages, err := s.AgesOf(ctx, counts)
		if err != nil || !ages.OldestWaiting.Equal(day(3)) || !ages.OldestPending.Equal(day(1)) {
			t.Errorf("AgesOf = %+v, %v; want oldest waiting %v, oldest pending %v", ages, err, day(3), day(1))
		}
		if ages, err := s.AgesOf(ctx, nil); err != nil || ages != (Ages{}) {
			t.Errorf("AgesOf(no counts) = %+v, %v; want none", ages, err)
		}
		last, ok, err := s.LastIntake(ctx)
		if err != nil || !ok || !last.Equal(day(12)) {
			t.Errorf("LastIntake = %v, %v, %v; want %v", last, ok, err, day(12))
		}
	})
}
