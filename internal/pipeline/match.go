package pipeline

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// waitForPairing is the next-attempt time of documents that only a pairing
// change can move: they are rechecked when the pairings change, not polled.
var waitForPairing = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// matchDue matches converted documents to pairings, and rechecks documents
// held for a pairing whenever the pairings changed.
func (p *Pipeline) matchDue(ctx context.Context) (bool, error) {
	rows, err := p.due(ctx, docbridge.Converted, p.o.Batch)
	if err != nil {
		return false, fmt.Errorf("list converted documents: %w", err)
	}
	if err := p.match(ctx, rows); err != nil {
		return false, err
	}
	released, err := p.recheckHeld(ctx)
	if err != nil {
		return false, err
	}
	expired, err := p.expireHeld(ctx)
	return len(rows) > 0 || released || expired, err
}

// heldForPairing are the reasons of documents waiting for a patient to pair.
var heldForPairing = []docbridge.Reason{docbridge.NotPaired, docbridge.PairingRevoked, docbridge.ScopeMissing}

// expireHeld fails, with PairingExpired and an alert in the log, the
// documents held for a pairing for longer than HoldMax since they were
// created. It looks at most once a minute and reports whether it moved any.
func (p *Pipeline) expireHeld(ctx context.Context) (bool, error) {
	now := p.o.Now()
	if p.o.HoldMax <= 0 || (!p.expiry.IsZero() && now.Sub(p.expiry) < time.Minute) {
		return false, nil
	}
	p.expiry = now
	moved := false
	for _, reason := range heldForPairing {
		rows, err := p.o.Store.Documents(ctx, store.Filter{State: docbridge.Held, Reason: reason})
		if err != nil {
			return false, fmt.Errorf("list documents held for %s: %w", reason, err)
		}
		for _, r := range rows {
			age := now.Sub(r.CreatedAt)
			if age <= p.o.HoldMax {
				continue
			}
			t := store.Transition{ID: r.ID, From: r.State, To: docbridge.Failed, Reason: docbridge.PairingExpired, Actor: "match",
				Message: fmt.Sprintf("held %s for a pairing (%s), longer than identity.hold_max (%s): the patient has not paired their MES account; "+
					"once they have, docbridge queue retry --reason pairing-expired sends it through matching again", age.Round(time.Minute), reason, p.o.HoldMax)}
			switch err := p.o.Store.Transition(ctx, t); {
			case err == store.ErrConflict:
				continue
			case err != nil:
				return false, fmt.Errorf("expire held document %d: %w", r.ID, err)
			}
			moved = true
			p.o.Log.Error().Bool("alert", true).Int64("doc", r.ID).Str("reason", string(docbridge.PairingExpired)).
				Str("held_for", string(reason)).Msg("document given up: no pairing within identity.hold_max")
		}
	}
	return moved, nil
}

// match moves each document of rows to matched, or to the state of the
// reason it cannot be matched, recording the outcomes matchedPerTx to a
// transaction (store.Transitions). A held document stays as it is when
// nothing changed. A pairing that does not cover the document's kind
// (Pairing.Covers) holds it with scope-missing: the patient did not
// consent to it.
func (p *Pipeline) match(ctx context.Context, rows []store.DocRow) error {
	var ts []store.Transition
	for _, r := range rows {
		t, ok, err := p.matchOne(ctx, r)
		if err != nil {
			return err
		}
		if ok {
			ts = append(ts, t)
		}
	}
	for chunk := range slices.Chunk(ts, matchedPerTx) {
		errs, err := p.o.Store.Transitions(ctx, chunk)
		if err != nil {
			return fmt.Errorf("record the match of %d document(s): %w", len(chunk), err)
		}
		for i, t := range chunk {
			switch {
			case errs[i] == store.ErrConflict:
				continue // another worker moved it meanwhile
			case errs[i] != nil:
				return fmt.Errorf("record match of document %d: %w", t.ID, errs[i])
			}
			p.o.Log.Info().Int64("doc", t.ID).Str("state", string(t.To)).Str("reason", string(t.Reason)).Msg("document matched")
		}
	}
	return nil
}

// matchedPerTx is how many match outcomes share a transaction: enough to
// save most commits, few enough that the acknowledgements waiting for the
// store's one writer meanwhile wait a few milliseconds at most.
const matchedPerTx = 16

// matchOne is the transition that records the match of r; ok is false when
// there is nothing to record.
func (p *Pipeline) matchOne(ctx context.Context, r store.DocRow) (t store.Transition, ok bool, err error) {
	pairing, err := p.o.Matcher.Match(ctx, r.Doc)
	if err == nil && !pairing.Covers(r.Doc.Kind) {
		err = docbridge.Errorf(docbridge.ScopeMissing, "the patient's pairing does not cover %ss (scope %q): it waits until the patient pairs again granting it",
			r.Doc.Kind, r.Doc.Kind.Scope())
	}
	t = store.Transition{ID: r.ID, From: r.State, Actor: "match"}
	switch reason := docbridge.ReasonOf(err); {
	case err == nil:
		t.To, t.PairingID = docbridge.Matched, pairing.ID
	case reason == docbridge.Internal:
		return t, false, fmt.Errorf("match document %d: %w", r.ID, err)
	case r.State == reason.State() && r.Reason == reason:
		return t, false, nil
	case r.Reason == docbridge.PairingRevoked && reason == docbridge.NotPaired:
		return t, false, nil // still waiting for the patient to pair again: keep the better reason
	default:
		t.To, t.Reason, t.Message = reason.State(), reason, docbridge.MessageOf(err)
		if t.To == docbridge.Held {
			t.NextAttempt = waitForPairing
		}
	}
	return t, true, nil
}

// recheckHeld rematches the documents held for a pairing when the set of
// pairings changed since the last look (a patient paired, a pairing was
// revoked or renewed). It reports whether it looked.
func (p *Pipeline) recheckHeld(ctx context.Context) (bool, error) {
	fp, err := p.o.Store.PairingsVersion(ctx)
	if err != nil {
		return false, fmt.Errorf("read the pairings version: %w", err)
	}
	if fp == p.pairing {
		return false, nil
	}
	p.pairing = fp
	for _, reason := range heldForPairing {
		rows, err := p.o.Store.Documents(ctx, store.Filter{State: docbridge.Held, Reason: reason})
		if err != nil {
			return false, fmt.Errorf("list documents held for %s: %w", reason, err)
		}
		for batch := range slices.Chunk(rows, p.o.Batch) {
			if err := p.match(ctx, batch); err != nil {
				return false, err
			}
		}
	}
	return false, nil
}
