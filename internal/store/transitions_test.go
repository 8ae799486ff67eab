package store

import (
	"context"
	"errors"
	"testing"

	"github.com/docbridge/docbridge"
)

// TestTransitions: a batch applies each transition as Transition alone
// would, in one transaction; a conflict or an unknown document leaves the
// others applied, each with its event and audit record.
func TestTransitions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := context.Background()
		s := e.open(t, Options{})
		a, b, c := oneDoc(t, s, "urn:oid:7.1"), oneDoc(t, s, "urn:oid:7.2"), oneDoc(t, s, "urn:oid:7.3")
		ts := []Transition{
			{ID: a, From: docbridge.Converted, To: docbridge.Matched, PairingID: "p1", Actor: "match"},
			{ID: b, From: docbridge.Matched, To: docbridge.Delivered, Actor: "match"}, // b is converted: a conflict
			{ID: 999999, From: docbridge.Converted, To: docbridge.Matched, Actor: "match"},
			{ID: c, To: docbridge.Matched, Actor: "match"}, // no From
			{ID: c, From: docbridge.Converted, To: docbridge.Held, Reason: docbridge.NotPaired, Message: "waits", Actor: "match"},
		}
		errs, err := s.Transitions(ctx, ts)
		if err != nil {
			t.Fatal(err)
		}
		wantErr := []func(error) bool{
			func(err error) bool { return err == nil },
			func(err error) bool { return err == ErrConflict },
			func(err error) bool { return errors.Is(err, ErrNotFound) },
			func(err error) bool { return err != nil && !errors.Is(err, ErrNotFound) && err != ErrConflict },
			func(err error) bool { return err == nil },
		}
		for i, ok := range wantErr {
			if !ok(errs[i]) {
				t.Errorf("transition %d (%+v): error %v", i, ts[i], errs[i])
			}
		}
		for _, w := range []struct {
			id     int64
			state  docbridge.State
			reason docbridge.Reason
			events int
		}{{a, docbridge.Matched, "", 2}, {b, docbridge.Converted, "", 1}, {c, docbridge.Held, docbridge.NotPaired, 2}} {
			d := document(t, s, w.id)
			if h, _ := s.History(ctx, w.id); d.State != w.state || d.Reason != w.reason || len(h) != w.events {
				t.Errorf("document %d is %s/%s with %d events, want %s/%s with %d", w.id, d.State, d.Reason, len(h), w.state, w.reason, w.events)
			}
		}
		if res, err := s.VerifyAudit(ctx, nil); err != nil {
			t.Errorf("audit after a batch: %+v, %v", res, err)
		}
	})
}
