package pipeline

import (
	"context"
	"fmt"

	"github.com/docbridge/docbridge/internal/audit"
	"github.com/docbridge/docbridge/internal/store"
)

// Reconvert converts stored input inputID again with the Converter and
// Checker the pipeline has now (the operator fixed a sidecar, a mapping or
// a source profile) and records the outcome with store.Reconvert: the
// input's documents stopped for a store.Reconvertible reason are
// superseded by their new versions, which go on to matching; documents
// that moved on are left as they are. The actor of the records is
// audit.ActorFrom(ctx, "convert"). A reconversion that gives the same
// outcome records nothing and says so (Reconversion.Unchanged). It returns
// the store's errors (ErrConflict: nothing of the input is stopped for such
// a reason; ErrNotFound), or an error when the stored input cannot be read.
func (p *Pipeline) Reconvert(ctx context.Context, inputID int64) (store.Reconversion, error) {
	in, err := p.o.Store.Input(ctx, inputID)
	if err != nil {
		return store.Reconversion{}, err
	}
	c, rerr := p.conversion(in)
	if rerr != nil {
		return store.Reconversion{}, fmt.Errorf("read input %d: %w", inputID, rerr)
	}
	res, err := p.o.Store.Reconvert(ctx, inputID, store.Conversion{Docs: c.docs, Refusal: c.refusal})
	if err != nil {
		return store.Reconversion{}, err
	}
	log := p.o.Log.With().Int64("input", inputID).Str("actor", audit.ActorFrom(ctx, "convert")).Logger()
	if res.Unchanged {
		log.Info().Str("reason", string(res.Reason)).Msg("input converted again: the same outcome, nothing recorded")
		return res, nil
	}
	c.recorded(log, res.Docs)
	log.Info().Ints64("superseded", res.Superseded).Msg("input converted again")
	p.kick(stageMatch)
	return res, nil
}
