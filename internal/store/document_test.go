package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/google/go-cmp/cmp"
)

func testTransition(t *testing.T, open opener) {
	clk := newClock()
	s := open(t, Options{Now: clk.Now})
	id := oneDoc(t, s, "urn:oid:1")
	created := clk.Now()
	later := created.Add(time.Hour)
	tests := []struct {
		name string
		tr   Transition
		want func(d *DocRow) // edits the expected row after the previous step
	}{
		{"matched", Transition{From: docbridge.Converted, To: docbridge.Matched, PairingID: "p1"},
			func(d *DocRow) { d.State, d.PairingID, d.NextAttempt = docbridge.Matched, "p1", d.UpdatedAt }},
		{"held with retry", Transition{From: docbridge.Matched, To: docbridge.Held, Reason: docbridge.MESUnavailable,
			Message: "503 from MES", Attempted: true, NextAttempt: later},
			func(d *DocRow) {
				d.State, d.Reason, d.Message, d.Attempts, d.NextAttempt = docbridge.Held, docbridge.MESUnavailable, "503 from MES", 1, later
			}},
		{"retried again, same state", Transition{From: docbridge.Held, To: docbridge.Held, Reason: docbridge.MESUnavailable,
			Message: "timeout", Attempted: true, NextAttempt: later.Add(time.Hour)},
			func(d *DocRow) { d.Message, d.Attempts, d.NextAttempt = "timeout", 2, later.Add(time.Hour) }},
		{"delivered", Transition{From: docbridge.Held, To: docbridge.Delivered, Attempted: true, MESID: "mes-42"},
			func(d *DocRow) {
				d.State, d.Reason, d.Message, d.Attempts, d.MESID = docbridge.Delivered, "", "", 3, "mes-42"
				d.NextAttempt = d.UpdatedAt
			}},
	}
	want := document(t, s, id)
	for _, tc := range tests {
		clk.Advance(time.Minute)
		tc.tr.ID, tc.tr.Actor = id, "test"
		transition(t, s, tc.tr)
		want.UpdatedAt = clk.Now()
		tc.want(&want)
		if diff := cmp.Diff(want, document(t, s, id)); diff != "" {
			t.Errorf("%s: Document (-want +got):\n%s", tc.name, diff)
		}
	}
	if got := document(t, s, id).CreatedAt; !got.Equal(created) {
		t.Errorf("CreatedAt = %v, want %v", got, created)
	}
}

func testTransitionConflict(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, Options{})
	id := oneDoc(t, s, "urn:oid:1")
	transition(t, s, Transition{ID: id, From: docbridge.Converted, To: docbridge.Matched, Actor: "w1"})
	before := document(t, s, id)
	tests := []struct {
		name string
		tr   Transition
		want error
	}{
		{"stale from", Transition{ID: id, From: docbridge.Converted, To: docbridge.Held, Attempted: true}, ErrConflict},
		{"unknown id", Transition{ID: 999, From: docbridge.Converted, To: docbridge.Matched}, ErrNotFound},
	}
	for _, tc := range tests {
		if err := s.Transition(ctx, tc.tr); !errors.Is(err, tc.want) {
			t.Errorf("%s: Transition error = %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := s.Transition(ctx, tests[0].tr); err != ErrConflict {
		t.Errorf("Transition conflict error = %v, want ErrConflict itself", err)
	}
	if err := s.Transition(ctx, Transition{ID: id, To: docbridge.Held}); err == nil || errors.Is(err, ErrConflict) {
		t.Errorf("Transition without From: error = %v, want a usage error", err)
	}
	if diff := cmp.Diff(before, document(t, s, id)); diff != "" {
		t.Errorf("failed transitions changed the row (-before +after):\n%s", diff)
	}
	if h, _ := s.History(ctx, id); len(h) != 2 {
		t.Errorf("History has %d events, want 2", len(h))
	}
}

// dueIDs returns the ids of rows.
func dueIDs(rows []DocRow) []int64 {
	var out []int64
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

func testDue(t *testing.T, open opener) {
	ctx := context.Background()
	clk := newClock()
	s := open(t, Options{Now: clk.Now})
	t0 := clk.Now()
	a, b, c, d, e := oneDoc(t, s, "a"), oneDoc(t, s, "b"), oneDoc(t, s, "c"), oneDoc(t, s, "d"), oneDoc(t, s, "e")
	// a stays due at t0; b, c due at t0+2m, d at t0+1m; e is in another state.
	for _, x := range []struct {
		id   int64
		next time.Time
	}{{c, t0.Add(2 * time.Minute)}, {b, t0.Add(2 * time.Minute)}, {d, t0.Add(time.Minute)}} {
		transition(t, s, Transition{ID: x.id, From: docbridge.Converted, To: docbridge.Converted, NextAttempt: x.next})
	}
	transition(t, s, Transition{ID: e, From: docbridge.Converted, To: docbridge.Matched})
	tests := []struct {
		now   time.Time
		limit int
		want  []int64
	}{
		{t0.Add(-time.Second), 0, nil},
		{t0, 0, []int64{a}},
		{t0.Add(time.Minute), 0, []int64{a, d}},
		{t0.Add(2 * time.Minute), 0, []int64{a, d, b, c}},
		{t0.Add(time.Hour), 3, []int64{a, d, b}},
	}
	for _, tc := range tests {
		rows, err := s.Due(ctx, docbridge.Converted, tc.now, tc.limit)
		if err != nil {
			t.Fatalf("Due: %v", err)
		}
		if diff := cmp.Diff(tc.want, dueIDs(rows)); diff != "" {
			t.Errorf("Due(now=%v, limit=%d) ids (-want +got):\n%s", tc.now.Sub(t0), tc.limit, diff)
		}
	}
	if rows, _ := s.Due(ctx, docbridge.Matched, t0, 0); len(rows) != 1 || rows[0].ID != e {
		t.Errorf("Due(matched) = %v, want [%d]", dueIDs(rows), e)
	}
}

func testClaim(t *testing.T, open opener) {
	ctx := context.Background()
	clk := newClock()
	s := open(t, Options{Now: clk.Now})
	now := clk.Now()
	a, b, c := oneDoc(t, s, "a"), oneDoc(t, s, "b"), oneDoc(t, s, "c")
	first, err := s.Claim(ctx, docbridge.Converted, now, time.Minute, 2)
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	second, _ := s.Claim(ctx, docbridge.Converted, now, time.Minute, 2)
	third, _ := s.Claim(ctx, docbridge.Converted, now, time.Minute, 2)
	if got, want := [][]int64{dueIDs(first), dueIDs(second), dueIDs(third)}, [][]int64{{a, b}, {c}, nil}; !cmp.Equal(got, want) {
		t.Errorf("three Claims = %v, want %v", got, want)
	}
	if got := first[0].NextAttempt; !got.Equal(now.Add(time.Minute)) {
		t.Errorf("claimed NextAttempt = %v, want now+lease", got)
	}
	if diff := cmp.Diff(first[0], document(t, s, a)); diff != "" {
		t.Errorf("claimed row differs from the stored row (-claimed +stored):\n%s", diff)
	}
	// The lease ends: due again.
	again, _ := s.Claim(ctx, docbridge.Converted, now.Add(time.Minute), time.Minute, 0)
	if got, want := dueIDs(again), []int64{a, b, c}; !cmp.Equal(got, want) {
		t.Errorf("Claim after the lease = %v, want %v", got, want)
	}
	if _, err := s.Claim(ctx, docbridge.Converted, now, 0, 1); err == nil {
		t.Errorf("Claim with no lease: no error")
	}
}

func testHistory(t *testing.T, open opener) {
	ctx := context.Background()
	clk := newClock()
	s := open(t, Options{Now: clk.Now})
	id := oneDoc(t, s, "urn:oid:1")
	want := []Event{{DocID: id, At: clk.Now(), To: docbridge.Converted, Actor: "convert"}}
	steps := []Transition{
		{From: docbridge.Converted, To: docbridge.Held, Reason: docbridge.NotPaired, Message: "no pairing for this patient", Actor: "match"},
		{From: docbridge.Held, To: docbridge.Matched, Actor: "match"},
		{From: docbridge.Matched, To: docbridge.Delivered, Actor: "deliver", Attempted: true},
	}
	for _, tr := range steps {
		clk.Advance(time.Second)
		tr.ID = id
		transition(t, s, tr)
		want = append(want, Event{DocID: id, At: clk.Now(), From: tr.From, To: tr.To, Reason: tr.Reason, Message: tr.Message, Actor: tr.Actor})
	}
	got, err := s.History(ctx, id)
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("History (-want +got):\n%s", diff)
	}
	if _, err := s.History(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("History(999) error = %v, want ErrNotFound", err)
	}
}

// testDocumentsSelect checks the selection operator actions and the
// console's list use: by ids, intake and creation time, all in SQL, newest
// first on request, each row naming its intake.
func testDocumentsSelect(t *testing.T, open opener) {
	ctx := context.Background()
	clk := newClock()
	s := open(t, Options{Now: clk.Now})
	_, refs := converted(t, s, "drop input", NewDocument{Doc: newDoc("a", "a"), State: docbridge.Converted},
		NewDocument{Doc: newDoc("b", "b"), State: docbridge.Converted})
	t0 := clk.Now()
	clk.Advance(time.Hour)
	a2, err := acceptInput(ctx, s, &docbridge.Envelope{Intake: "mllp", Source: "MSG2", MessageID: "MSG2", Body: strings.NewReader("mllp input")})
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	refs2, err := s.RecordConversion(ctx, a2.ID, []NewDocument{{Doc: newDoc("c", "c"), State: docbridge.Converted}})
	if err != nil {
		t.Fatalf("RecordConversion: %v", err)
	}
	a, b, c := refs[0].ID, refs[1].ID, refs2[0].ID
	t1 := clk.Now()
	tests := []struct {
		name string
		f    Filter
		want []int64
	}{
		{"ids", Filter{IDs: []int64{c, a}}, []int64{a, c}},
		{"one id", Filter{IDs: []int64{b}}, []int64{b}},
		{"intake", Filter{Intake: "mllp"}, []int64{c}},
		{"other intake", Filter{Intake: "drop"}, []int64{a, b}},
		{"unknown intake", Filter{Intake: "fhir"}, nil},
		{"since", Filter{Since: t1}, []int64{c}},
		{"until", Filter{Until: t1}, []int64{a, b}},
		{"since and until", Filter{Since: t0, Until: t0.Add(time.Minute)}, []int64{a, b}},
		{"ids and intake", Filter{IDs: []int64{a, c}, Intake: "drop"}, []int64{a}},
		{"newest first", Filter{Newest: true}, []int64{c, b, a}},
		{"newest first, limited", Filter{Newest: true, Limit: 1}, []int64{c}},
	}
	for _, tc := range tests {
		rows, err := s.Documents(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: Documents: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.want, dueIDs(rows)); diff != "" {
			t.Errorf("%s: Documents ids (-want +got):\n%s", tc.name, diff)
		}
	}
	for id, want := range map[int64]string{a: "drop", c: "mllp"} {
		if got := document(t, s, id).Intake; got != want {
			t.Errorf("document %d Intake = %q, want %q", id, got, want)
		}
	}
}

func testDocuments(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, Options{})
	in1, refs := converted(t, s, "input 1",
		NewDocument{Doc: newDoc("a", "a"), State: docbridge.Converted},
		NewDocument{Doc: newDoc("b", "b"), State: docbridge.Review, Reason: docbridge.MissingINS},
		NewDocument{Doc: newDoc("c", "c"), State: docbridge.Review, Reason: docbridge.UnmappedCode})
	_, refs2 := converted(t, s, "input 2", NewDocument{Doc: newDoc("d", "d"), State: docbridge.Converted})
	a, b, c, d := refs[0].ID, refs[1].ID, refs[2].ID, refs2[0].ID
	tests := []struct {
		f    Filter
		want []int64
	}{
		{Filter{}, []int64{a, b, c, d}},
		{Filter{Limit: 2}, []int64{a, b}},
		{Filter{State: docbridge.Review}, []int64{b, c}},
		{Filter{State: docbridge.Review, Reason: docbridge.UnmappedCode}, []int64{c}},
		{Filter{Reason: docbridge.MissingINS}, []int64{b}},
		{Filter{InputID: in1, State: docbridge.Converted}, []int64{a}},
		{Filter{State: docbridge.Delivered}, nil},
	}
	for _, tc := range tests {
		rows, err := s.Documents(ctx, tc.f)
		if err != nil {
			t.Fatalf("Documents(%+v): %v", tc.f, err)
		}
		if diff := cmp.Diff(tc.want, dueIDs(rows)); diff != "" {
			t.Errorf("Documents(%+v) ids (-want +got):\n%s", tc.f, diff)
		}
	}
	counts, err := s.Counts(ctx)
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	if diff := cmp.Diff(map[docbridge.State]int{docbridge.Converted: 2, docbridge.Review: 2}, counts); diff != "" {
		t.Errorf("Counts (-want +got):\n%s", diff)
	}
	if _, err := s.Document(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Document(999) error = %v, want ErrNotFound", err)
	}
}
