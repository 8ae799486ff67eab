package bulk

import (
	"bytes"
	"context"
	"fmt"

	"github.com/docbridge/docbridge"
)

// DryRun says what a run of the archive would do, changing nothing: each
// file is read, converted with its origin (its name and a PDF's sidecar),
// checked and matched against the pairings as the pipeline would, and
// nothing is written to the store or sent. It blocks until the archive is
// walked or ctx is done (then it returns ctx's error). Files that cannot
// be read are items with outcome Unreadable, and so are PDFs whose sidecar
// cannot be read; a sidecar too large or empty fails its PDF. An error
// means the dry run could not go on (the scratch database, the index
// header, the archive root).
func DryRun(ctx context.Context, o Options) (*Result, error) {
	if o.Convert == nil || o.Check == nil || o.Match == nil {
		return nil, fmt.Errorf("bulk dry run: Convert, Check and Match are required")
	}
	e, err := newEngine(ctx, o, "dry-run")
	if err != nil {
		return nil, err
	}
	res, err := e.dryRun(ctx)
	if err != nil {
		e.s.Close()
		return nil, err
	}
	return res, nil
}

func (e *engine) dryRun(ctx context.Context) (*Result, error) {
	if err := e.loadIndex(ctx); err != nil {
		return nil, err
	}
	err := e.each(ctx, func(ctx context.Context, en entry) error {
		t, it, err := e.take(ctx, en)
		if err != nil || it != nil {
			if it != nil {
				err = e.record(ctx, *it, t.row.ins)
			}
			return err
		}
		for _, it := range e.evaluate(ctx, en.rel, t.raw, t.org) {
			if it.Outcome == "" {
				return fmt.Errorf("match a document: %s", it.Message)
			}
			it.Message = joinNote(it.Message, t.note)
			if err := e.record(ctx, it, t.row.ins); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.sum.Complete = true
	return e.finish(ctx)
}

// evaluate is what the pipeline would make of one input: the input refused
// as a whole, or each document's state after the identity checks and
// matching. An item with no outcome carries an internal matching error.
func (e *engine) evaluate(ctx context.Context, rel string, raw []byte, origin docbridge.Origin) []Item {
	format, docs, err := e.o.Convert.Convert(bytes.NewReader(raw), int64(len(raw)), origin)
	if err == nil && len(docs) == 0 {
		err = docbridge.Errorf(docbridge.MissingMetadata, "the %s input holds no document", format)
	}
	if err != nil {
		return []Item{{Path: rel, Format: format, Outcome: Failed, Reason: docbridge.ReasonOf(err), Message: docbridge.MessageOf(err)}}
	}
	out := make([]Item, 0, len(docs))
	for _, d := range docs {
		d.Content = nil
		d.Problems = append(d.Problems, e.o.Check(d)...)
		it := Item{Path: rel, Format: format, Doc: d}
		if pr := d.Worst(); pr != nil {
			it.Outcome, it.Reason, it.Message = outcomeOfState(pr.Code.State()), pr.Code, pr.Message
			out = append(out, it)
			continue
		}
		_, err := e.o.Match.Match(ctx, d)
		switch r := docbridge.ReasonOf(err); {
		case err == nil:
			it.Outcome = Delivered
		case r == docbridge.Internal:
			it.Message = err.Error()
		default:
			it.Outcome, it.Reason, it.Message = outcomeOfState(r.State()), r, docbridge.MessageOf(err)
		}
		out = append(out, it)
	}
	return out
}
