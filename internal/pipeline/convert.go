package pipeline

import (
	"context"
	"fmt"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// outcome is what converting one input came to.
type outcome struct {
	state   docbridge.State
	reason  docbridge.Reason
	message string
}

// convertDue converts inputs still in state received (after a crash, or when
// Accept could not commit their conversion).
func (p *Pipeline) convertDue(ctx context.Context) (bool, error) {
	ins, err := p.o.Store.PendingInputs(ctx, p.o.Batch)
	if err != nil {
		return false, fmt.Errorf("list pending inputs: %w", err)
	}
	for _, in := range ins {
		if _, err := p.convertInput(ctx, in.ID, in.SHA256); err != nil {
			return false, err
		}
	}
	return len(ins) > 0, nil
}

// convertInput converts one stored input and commits the result: the input
// fails as a whole, or each of its documents enters converted — or the state
// of its first error problem. It returns an error only when the outcome
// could not be committed.
func (p *Pipeline) convertInput(ctx context.Context, id int64, sha string) (outcome, error) {
	log := p.o.Log.With().Int64("input", id).Logger()
	raw, err := p.o.Store.ReadContent(sha)
	if err != nil {
		return outcome{}, fmt.Errorf("read input %d: %w", id, err)
	}
	format, docs, err := p.o.Converter.Convert(raw)
	if err == nil && len(docs) == 0 {
		err = docbridge.Errorf(docbridge.MissingMetadata, "the %s input holds no document", format)
	}
	if err != nil {
		reason, msg := docbridge.ReasonOf(err), docbridge.MessageOf(err)
		if ferr := p.o.Store.FailInput(ctx, id, reason, msg); ferr != nil {
			return outcome{}, fmt.Errorf("record refusal of input %d: %w", id, ferr)
		}
		log.Warn().Str("reason", string(reason)).Str("format", string(format)).Msg("input refused")
		return outcome{docbridge.Failed, reason, msg}, nil
	}
	news := make([]store.NewDocument, len(docs))
	for i, d := range docs {
		if p.o.Checker != nil {
			d.Problems = append(d.Problems, p.o.Checker(d)...)
		}
		news[i] = store.NewDocument{Doc: d, State: docbridge.Converted}
		if pr := d.FirstError(); pr != nil {
			news[i].State, news[i].Reason, news[i].Message = pr.Code.State(), pr.Code, pr.Message
		}
	}
	refs, err := p.o.Store.RecordConversion(ctx, id, news)
	if err != nil {
		return outcome{}, fmt.Errorf("record conversion of input %d: %w", id, err)
	}
	out := outcome{state: docbridge.Converted}
	failed := 0
	for i, r := range refs {
		ev := log.Info()
		if news[i].Reason != "" {
			ev = log.Warn().Str("reason", string(news[i].Reason))
		}
		ev.Int64("doc", r.ID).Bool("existing", r.Existing).Str("state", string(r.State)).Str("format", string(format)).Msg("document recorded")
		if news[i].State == docbridge.Failed {
			failed++
			if out.reason == "" {
				out.reason, out.message = news[i].Reason, news[i].Message
			}
		}
	}
	if failed == len(refs) {
		out.state = docbridge.Failed
	} else {
		out.reason, out.message = "", ""
	}
	return out, nil
}
