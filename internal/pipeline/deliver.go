package pipeline

import (
	"context"
	"fmt"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// deliverDue delivers matched documents, and held ones whose retry is due.
func (p *Pipeline) deliverDue(ctx context.Context) (bool, error) {
	now := p.o.Now()
	busy := false
	for _, state := range []docbridge.State{docbridge.Matched, docbridge.Held} {
		rows, err := p.o.Store.Due(ctx, state, now, p.o.Batch)
		if err != nil {
			return false, fmt.Errorf("list %s documents: %w", state, err)
		}
		for _, r := range rows {
			if err := p.deliver(ctx, r); err != nil {
				return false, err
			}
		}
		busy = busy || len(rows) > 0
	}
	return busy, nil
}

// deliver sends one document and records the outcome. The pairing is
// looked up again just before sending: it may have been revoked, and the
// identity is compared once more against the pairing actually used.
func (p *Pipeline) deliver(ctx context.Context, r store.DocRow) error {
	log := p.o.Log.With().Int64("doc", r.ID).Int("attempt", r.Attempts+1).Logger()
	t := store.Transition{ID: r.ID, From: r.State, Actor: "deliver"}
	pairing, err := p.o.Matcher.Match(ctx, r.Doc)
	if err == nil {
		var receipt docbridge.Receipt
		receipt, err = p.send(ctx, r, pairing)
		t.Attempted = true
		if err == nil {
			if err := p.supersede(ctx, r); err != nil {
				return err
			}
			t.To, t.MESID, t.PairingID = docbridge.Delivered, receipt.MESID, pairing.ID
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
	ev := log.Info()
	if t.To != docbridge.Delivered {
		ev = log.Warn().Time("next", t.NextAttempt)
	}
	ev.Str("state", string(t.To)).Str("reason", string(t.Reason)).Str("mes_id", t.MESID).Msg("delivery")
	return nil
}

func (p *Pipeline) send(ctx context.Context, r store.DocRow, pairing docbridge.Pairing) (docbridge.Receipt, error) {
	content, err := p.o.Store.OpenContent(r.SHA256)
	if err != nil {
		return docbridge.Receipt{}, docbridge.Wrap(docbridge.Internal, "the document's stored content cannot be read", err)
	}
	defer content.Close()
	return p.o.Sender.Deliver(ctx, r.Doc, content, pairing)
}

// revoke marks a pairing revoked after MES said it is gone, so that no other
// document is sent with it.
func (p *Pipeline) revoke(ctx context.Context, pairing docbridge.Pairing) error {
	if pairing.Revoked {
		return nil
	}
	pairing.Revoked = true
	if err := p.o.Store.PutPairing(ctx, pairing); err != nil {
		return fmt.Errorf("mark pairing %s revoked: %w", pairing.ID, err)
	}
	p.o.Log.Warn().Str("pairing", pairing.ID).Msg("MES says the pairing is revoked; its documents are held")
	return nil
}

// supersede marks superseded the delivered versions a replacement replaced.
// It runs before the replacement is recorded delivered: after a crash in
// between, the replacement is sent again (MES answers "already there") and
// nothing is left half done.
func (p *Pipeline) supersede(ctx context.Context, r store.DocRow) error {
	if r.Doc.Action != docbridge.Replace || r.Doc.Replaces == "" {
		return nil
	}
	old, err := p.o.Store.Documents(ctx, store.Filter{UniqueID: r.Doc.Replaces, State: docbridge.Delivered})
	if err != nil {
		return fmt.Errorf("find the versions document %d replaces: %w", r.ID, err)
	}
	for _, o := range old {
		err := p.o.Store.Transition(ctx, store.Transition{
			ID: o.ID, From: docbridge.Delivered, To: docbridge.Superseded, Actor: "deliver",
			Message: fmt.Sprintf("replaced by document %d", r.ID),
		})
		if err != nil && err != store.ErrConflict {
			return fmt.Errorf("supersede document %d: %w", o.ID, err)
		}
		p.o.Log.Info().Int64("doc", o.ID).Int64("by", r.ID).Msg("superseded")
	}
	return nil
}
