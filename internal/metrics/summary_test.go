package metrics

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// fakeStore answers Summarize's reads with fixed values.
type fakeStore struct {
	counts  []store.Count
	ages    store.Ages
	last    time.Time // zero: no input ever
	journal int
	err     error
}

func (f fakeStore) CountsByGroup(context.Context) ([]store.Count, error) { return f.counts, f.err }
func (f fakeStore) AgesOf(context.Context, []store.Count) (store.Ages, error) {
	return f.ages, nil
}
func (f fakeStore) LastIntake(context.Context) (time.Time, bool, error) {
	return f.last, !f.last.IsZero(), nil
}
func (f fakeStore) JournalBacklog(context.Context) (int, error) { return f.journal, nil }
func (f fakeStore) Ping(context.Context) error                  { return f.err }

// TestSummarize checks the queue's summary and the stall signals: what
// waits for the patient's pairing is counted apart and never stalls, a
// new installation with no input yet is not stalled, and each signal fires
// past its threshold only.
func TestSummarize(t *testing.T) {
	now := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	stall := Stall{NoIntake: time.Hour, OldestPending: 30 * time.Minute}
	counts := []store.Count{
		{State: docbridge.Converted, Intake: "drop", N: 2},
		{State: docbridge.Held, Reason: docbridge.NotPaired, Intake: "mllp", N: 5},
		{State: docbridge.Held, Reason: docbridge.ScopeMissing, Intake: "mllp", Kind: docbridge.KindMeasurement, N: 1},
		{State: docbridge.Held, Reason: docbridge.MESUnavailable, Intake: "drop", N: 3},
		{State: docbridge.Review, Reason: docbridge.IdentityMismatch, Intake: "drop", N: 4},
		{State: docbridge.Delivered, Intake: "drop", N: 100},
	}
	type got struct {
		Queue, Review, Waiting, Journal int
		OldestPending                   time.Duration
		NoIntake, Stuck                 bool
	}
	tests := []struct {
		name string
		st   fakeStore
		want got
	}{
		{"moving", fakeStore{counts: counts, ages: store.Ages{OldestPending: now.Add(-10 * time.Minute), OldestWaiting: now.Add(-48 * time.Hour)}, last: now.Add(-time.Minute), journal: 7},
			got{Queue: 11, Review: 4, Waiting: 6, Journal: 7, OldestPending: 10 * time.Minute}},
		{"stuck and quiet", fakeStore{counts: counts, ages: store.Ages{OldestPending: now.Add(-2 * time.Hour)}, last: now.Add(-3 * time.Hour)},
			got{Queue: 11, Review: 4, Waiting: 6, OldestPending: 2 * time.Hour, NoIntake: true, Stuck: true}},
		{"new installation", fakeStore{},
			got{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Summarize(context.Background(), tt.st, stall, now)
			if err != nil {
				t.Fatal(err)
			}
			g := got{Queue: s.Queue, Review: s.Review, Waiting: s.Waiting, Journal: s.Journal, OldestPending: s.OldestPending, NoIntake: s.NoIntake, Stuck: s.Stuck}
			if diff := cmp.Diff(tt.want, g); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := Summarize(context.Background(), fakeStore{err: errors.New("down")}, stall, now); err == nil {
		t.Error("Summarize hid the store's error")
	}
}
