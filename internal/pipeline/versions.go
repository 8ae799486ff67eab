package pipeline

import (
	"context"
	"fmt"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// plan says what to send for a document, given the other versions of its
// report, so that MES never holds two live versions of one report.
type plan struct {
	send       *docbridge.Document // what goes on the wire
	superseded string              // non-empty: send nothing; the document is already replaced (why)
}

// planFor decides how to deliver r:
//   - a version that a delivered replacement already replaces is not sent
//     (it arrived after its replacement);
//   - a replacement whose original never reached MES (still pending here)
//     supersedes that original here and goes to MES as a creation;
//   - otherwise the document goes as it is (a replacement of a version
//     docbridge does not know goes as a replacement: MES may hold it).
func (p *Pipeline) planFor(ctx context.Context, r store.DocRow) (plan, error) {
	d := r.Doc
	if d.Action == docbridge.Create {
		newer, err := p.o.Store.Replacing(ctx, d.UniqueID)
		if err != nil {
			return plan{}, fmt.Errorf("find replacements of document %d: %w", r.ID, err)
		}
		for _, n := range newer {
			if n.State == docbridge.Delivered || n.State == docbridge.Deleted {
				return plan{superseded: fmt.Sprintf("document %d, a newer version, was delivered first", n.ID)}, nil
			}
		}
	}
	if d.Action != docbridge.Replace {
		return plan{send: d}, nil
	}
	olds, err := p.o.Store.Documents(ctx, store.Filter{UniqueID: d.Replaces})
	if err != nil {
		return plan{}, fmt.Errorf("find the versions document %d replaces: %w", r.ID, err)
	}
	delivered := false
	for _, o := range olds {
		delivered = delivered || o.State == docbridge.Delivered || o.State == docbridge.Superseded
	}
	if delivered || len(olds) == 0 {
		return plan{send: d}, nil
	}
	for _, o := range olds {
		if err := p.retire(ctx, o, docbridge.Superseded, fmt.Sprintf("replaced by document %d before it was sent", r.ID)); err != nil {
			return plan{}, err
		}
	}
	asNew := *d
	asNew.Action, asNew.Replaces = docbridge.Create, ""
	return plan{send: &asNew}, nil
}

// afterDelivery retires the versions a delivered document made obsolete:
// a replacement supersedes the delivered versions it replaces, a delete
// deletes the delivered versions of its uniqueId. It runs before the
// document itself is recorded delivered: after a crash in between, the
// document is sent again (MES answers "already there") and nothing is left
// half done.
func (p *Pipeline) afterDelivery(ctx context.Context, r store.DocRow) error {
	var target string
	to := docbridge.Superseded
	switch r.Doc.Action {
	case docbridge.Replace:
		target = r.Doc.Replaces
	case docbridge.Delete:
		target, to = r.Doc.UniqueID, docbridge.Deleted
	default:
		return nil
	}
	olds, err := p.o.Store.Documents(ctx, store.Filter{UniqueID: target, State: docbridge.Delivered})
	if err != nil {
		return fmt.Errorf("find the versions document %d retires: %w", r.ID, err)
	}
	for _, o := range olds {
		if o.ID == r.ID {
			continue
		}
		msg := fmt.Sprintf("replaced by document %d", r.ID)
		if to == docbridge.Deleted {
			msg = fmt.Sprintf("deleted by document %d", r.ID)
		}
		if err := p.retire(ctx, o, to, msg); err != nil {
			return err
		}
	}
	return nil
}

// retire moves one version to superseded or deleted.
func (p *Pipeline) retire(ctx context.Context, o store.DocRow, to docbridge.State, msg string) error {
	err := p.o.Store.Transition(ctx, store.Transition{ID: o.ID, From: o.State, To: to, Actor: "deliver", Message: msg})
	if err != nil && err != store.ErrConflict {
		return fmt.Errorf("retire document %d: %w", o.ID, err)
	}
	p.o.Log.Info().Int64("doc", o.ID).Str("state", string(to)).Msg(msg)
	return nil
}
