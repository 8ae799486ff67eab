package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
	"github.com/docbridge/docbridge/internal/store"
)

// deliverDue delivers matched documents, and held ones whose retry is due,
// while the circuit breaker lets requests through: unrelated documents in
// parallel, up to the endpoint's adaptive limit, and the documents of one
// version chain one at a time, in order (deliverRows, chains).
func (p *Pipeline) deliverDue(ctx context.Context) (bool, error) {
	busy := false
	clear(p.settled)
	clear(p.claimed)
	for _, state := range []docbridge.State{docbridge.Matched, docbridge.Held} {
		if now := p.o.Now(); p.breaker.waiting(now) || !p.limit.open(now) {
			return false, nil
		}
		rows, err := p.due(ctx, state, p.deliverBatch())
		if err != nil {
			return false, fmt.Errorf("list %s documents: %w", state, err)
		}
		if p.o.Lease > 0 {
			for _, r := range rows {
				p.claimed[r.ID] = true
			}
		}
		if err := p.deliverRows(ctx, rows); err != nil {
			return false, err
		}
		busy = busy || len(rows) > 0
	}
	return busy, nil
}

// leasedDeliveries is how many documents per request in flight a deliver
// step claims at a time under a Lease: a claimed document may wait for
// the ones before it in its chain and for a free slot, so a small claim
// keeps it well inside its lease (see leaseCovers) and leaves the rest to
// other instances.
const leasedDeliveries = 4

func (p *Pipeline) deliverBatch() int {
	if p.o.Lease > 0 {
		return min(p.o.Batch, leasedDeliveries*p.limit.current())
	}
	return max(p.o.Batch, 4*p.o.Concurrency)
}

// deliverAt sends one document and records the outcome; depth counts the
// deliveries it is nested in (planFor settles the versions a replacement
// names by delivering them first). The pairing is looked up again just
// before sending: it may have been revoked, and the identity is compared
// once more against the pairing actually used.
func (p *Pipeline) deliverAt(ctx context.Context, r store.DocRow, depth int) error {
	kind := docbridge.KindDocument
	if r.Doc != nil {
		kind = r.Doc.Kind
	}
	log := p.o.Log.With().Int64("doc", r.ID).Str("kind", kind.String()).Int("attempt", r.Attempts+1).Logger()
	t := store.Transition{ID: r.ID, From: r.State, Actor: "deliver"}
	pl, err := p.planFor(ctx, r, depth)
	if err != nil {
		return err
	}
	if pl.instead != nil {
		return p.record(ctx, *pl.instead)
	}
	pairing, err := p.o.Matcher.Match(ctx, r.Doc)
	if err == nil {
		var receipt docbridge.Receipt
		sent := p.o.Now()
		receipt, err = p.send(ctx, r, pl.send, pairing)
		t.Attempted = true
		// The exchange is audited with the transition; after an error the
		// receipt still carries MES's HTTP status and request id when MES
		// answered (Sender), and the transition's reason and message say
		// what it answered.
		t.Exchange = &audit.Exchange{RequestID: receipt.RequestID, Status: receipt.Status, MESID: receipt.MESID}
		p.recordOutcome(err, sent)
		if err == nil {
			if err := p.afterDelivery(ctx, r, pl.send); err != nil {
				return err
			}
			t.To, t.MESID, t.PairingID = docbridge.Delivered, receipt.MESID, pairing.ID
			if r.Doc.Action == docbridge.Delete {
				t.To = docbridge.Deleted
			}
			if receipt.Duplicate {
				t.Reason, t.Message = docbridge.Duplicate, "MES already had this document with the same content"
			}
		}
	}
	switch reason := docbridge.ReasonOf(err); reason {
	case "":
	case docbridge.MESUnavailable, docbridge.Internal:
		t.To, t.Reason, t.Message = docbridge.Held, reason, docbridge.MessageOf(err)
		t.NextAttempt = p.o.Now().Add(p.o.Backoff.Delay(r.Attempts+1, retryAfter(err)))
		if age := p.o.Now().Sub(r.CreatedAt); p.o.MaxAge > 0 && age > p.o.MaxAge {
			t.To, t.NextAttempt = docbridge.Failed, time.Time{}
			t.Message = fmt.Sprintf("given up after %s without delivery (delivery.max_age): %s", age.Round(time.Minute), t.Message)
			log.Error().Bool("alert", true).Str("reason", string(reason)).Msg("document given up: not delivered within the maximum age")
		}
	case docbridge.PairingRevoked:
		t.To, t.Reason, t.Message = docbridge.Held, reason, docbridge.MessageOf(err)
		t.NextAttempt = waitForPairing
		if err := p.revoke(ctx, pairing); err != nil {
			return err
		}
	default:
		t.To, t.Reason, t.Message = reason.State(), reason, docbridge.MessageOf(err)
		if t.To == docbridge.Held {
			t.NextAttempt = waitForPairing
		}
	}
	if err := p.o.Store.Transition(ctx, t); err != nil && err != store.ErrConflict {
		return fmt.Errorf("record delivery of document %d: %w", r.ID, err)
	}
	if t.To == docbridge.Delivered || t.To == docbridge.Deleted {
		p.observe(Event{State: t.To, Reason: t.Reason, Kind: kind, Latency: p.o.Now().Sub(r.CreatedAt)})
	}
	ev := log.Info()
	if t.To != docbridge.Delivered && t.To != docbridge.Deleted {
		ev = log.Warn().Time("next", t.NextAttempt)
	}
	ev.Str("state", string(t.To)).Str("reason", string(t.Reason)).Str("mes_id", t.MESID).Msg("delivery")
	return nil
}

// record applies a transition planFor chose instead of a delivery; a
// document another worker moved meanwhile is left to it.
func (p *Pipeline) record(ctx context.Context, t store.Transition) error {
	if err := p.o.Store.Transition(ctx, t); err != nil && err != store.ErrConflict {
		return fmt.Errorf("record document %d %s: %w", t.ID, t.To, err)
	}
	ev := p.o.Log.Info()
	if t.To == docbridge.Review {
		ev = p.o.Log.Warn()
	}
	ev.Int64("doc", t.ID).Str("state", string(t.To)).Str("reason", string(t.Reason)).Msg(t.Message)
	return nil
}

// recordOutcome feeds the circuit breaker and the endpoint's adaptive
// limit with the outcome of a request sent at sent: only MES being
// unavailable (429, 5xx, no answer) counts as a failure of the endpoint.
func (p *Pipeline) recordOutcome(err error, sent time.Time) {
	down, now := docbridge.ReasonOf(err) == docbridge.MESUnavailable, p.o.Now()
	p.limit.adapt(sent, down, retryAfter(err), now)
	opened, until := p.breaker.record(down, now)
	if opened {
		p.o.Log.Warn().Time("until", until).Msg("MES keeps failing: deliveries paused (circuit open)")
	}
}

func (p *Pipeline) send(ctx context.Context, r store.DocRow, d *docbridge.Document, pairing docbridge.Pairing) (docbridge.Receipt, error) {
	content, err := p.o.Store.OpenContent(r.SHA256)
	if err != nil {
		return docbridge.Receipt{}, docbridge.Wrap(docbridge.Internal, "the document's stored content cannot be read", err)
	}
	defer content.Close()
	if err := p.rate.wait(ctx); err != nil {
		return docbridge.Receipt{}, docbridge.Wrap(docbridge.MESUnavailable, "waiting for the delivery rate limit", err)
	}
	return p.o.Sender.Deliver(ctx, d, content, pairing)
}

// revoke marks a pairing revoked after MES said it is gone, so that no other
// document is sent with it. A zero pairing (the matcher itself said the
// patient's pairing is revoked: nothing was sent) is left alone.
func (p *Pipeline) revoke(ctx context.Context, pairing docbridge.Pairing) error {
	if pairing.ID == "" || pairing.Revoked {
		return nil
	}
	pairing.Revoked = true
	if err := p.o.Store.PutPairing(audit.WithActor(ctx, "deliver"), pairing); err != nil {
		return fmt.Errorf("mark pairing %s revoked: %w", pairing.ID, err)
	}
	p.o.Log.Warn().Str("pairing", pairing.ID).Msg("MES says the pairing is revoked; its documents are held")
	return nil
}
