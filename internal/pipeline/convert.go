package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// outcome is what converting one input came to.
type outcome struct {
	state   docbridge.State
	reason  docbridge.Reason
	message string
}

// convertDue records the intake journal's entries (applyJournal), then
// converts inputs still in state received (after a crash, or when Accept
// could not commit their conversion); with a Lease, those this instance
// claimed.
func (p *Pipeline) convertDue(ctx context.Context) (bool, error) {
	applied, err := p.applyJournal(ctx)
	if err != nil {
		return false, err
	}
	var ins []store.Input
	if p.o.Lease > 0 {
		ins, err = p.o.Store.ClaimInputs(ctx, p.o.Now(), p.o.Lease, p.o.Batch)
	} else {
		ins, err = p.o.Store.PendingInputs(ctx, p.o.Batch)
	}
	if err != nil {
		return false, fmt.Errorf("list pending inputs: %w", err)
	}
	for _, in := range ins {
		if _, err := p.convertInput(ctx, in); err != nil {
			return false, err
		}
	}
	return applied || len(ins) > 0, nil
}

// convert converts the stored input with the Converter, reading it from
// the store through an io.ReaderAt (in a stream when the content store
// gives one, else from its bytes in memory). rerr says the input could not
// be read (nothing was decided about it).
func (p *Pipeline) convert(in store.Input) (format docbridge.Format, docs []*docbridge.Document, err, rerr error) {
	rc, rerr := p.o.Store.OpenContent(in.SHA256)
	if rerr != nil {
		return "", nil, nil, rerr
	}
	defer rc.Close()
	ra, ok := rc.(io.ReaderAt)
	if !ok {
		raw, rerr := io.ReadAll(rc)
		if rerr != nil {
			return "", nil, nil, rerr
		}
		ra = bytes.NewReader(raw)
	}
	format, docs, err = p.o.Converter.Convert(ra, in.Size, p.origin(in))
	if docbridge.ReasonOf(err) == docbridge.Internal {
		// The stored input could not be read through: not a verdict on
		// the input, which stays received.
		return "", nil, nil, err
	}
	return format, docs, err, nil
}

// origin is what is known of a stored input besides its bytes, with the
// source profiles that may apply to it (Options.Profiles).
func (p *Pipeline) origin(in store.Input) docbridge.Origin {
	return docbridge.Origin{Name: in.Source, Sidecar: in.Sidecar, Intake: in.Intake, Sender: in.Sender, Profiles: p.o.Profiles}
}

// convertInput converts one stored input and commits the result: the input
// fails as a whole, or each of its documents enters converted — or the state
// of its most severe error problem (Document.Worst). It returns an error only when the outcome
// could not be committed.
func (p *Pipeline) convertInput(ctx context.Context, in store.Input) (outcome, error) {
	id := in.ID
	log := p.o.Log.With().Int64("input", id).Logger()
	c, rerr := p.conversion(in)
	if rerr != nil {
		return outcome{}, fmt.Errorf("read input %d: %w", id, rerr)
	}
	if c.refusal != nil {
		reason, msg := docbridge.ReasonOf(c.refusal), docbridge.MessageOf(c.refusal)
		if ferr := p.o.Store.FailInput(ctx, id, reason, msg); ferr != nil {
			return outcome{}, fmt.Errorf("record refusal of input %d: %w", id, ferr)
		}
		return c.refused(log), nil
	}
	refs, err := p.o.Store.RecordConversion(ctx, id, c.docs)
	if err != nil {
		return outcome{}, fmt.Errorf("record conversion of input %d: %w", id, err)
	}
	return c.recorded(log, refs), nil
}

// converted is what converting one input decided, before it is recorded:
// the input's refusal, or its documents with the state each enters.
type converted struct {
	format  docbridge.Format
	refusal error // a *docbridge.Error refusing the whole input
	docs    []store.NewDocument
}

// conversion converts the stored input and checks its documents. rerr says
// the input could not be read (nothing was decided about it).
func (p *Pipeline) conversion(in store.Input) (c converted, rerr error) {
	format, docs, err, rerr := p.convert(in)
	if rerr != nil {
		return converted{}, rerr
	}
	c.format = format
	if err == nil && len(docs) == 0 {
		err = docbridge.Errorf(docbridge.MissingMetadata, "the %s input holds no document", format)
	}
	if err != nil {
		c.refusal = err
		return c, nil
	}
	c.docs = make([]store.NewDocument, len(docs))
	for i, d := range docs {
		if p.o.Checker != nil {
			d.Problems = append(d.Problems, p.o.Checker(d)...)
		}
		c.docs[i] = store.NewDocument{Doc: d, State: docbridge.Converted}
		if pr := d.Worst(); pr != nil {
			c.docs[i].State, c.docs[i].Reason, c.docs[i].Message = pr.Code.State(), pr.Code, pr.Message
		}
	}
	return c, nil
}

// conversion is c as the store records it.
func (c converted) conversion() store.Conversion {
	return store.Conversion{Docs: c.docs, Refusal: c.refusal}
}

// refused logs the recorded refusal of the input and returns the outcome.
func (c converted) refused(log zerolog.Logger) outcome {
	reason, msg := docbridge.ReasonOf(c.refusal), docbridge.MessageOf(c.refusal)
	log.Warn().Str("reason", string(reason)).Str("format", string(c.format)).Msg("input refused")
	return outcome{docbridge.Failed, reason, msg}
}

// recorded logs the recorded documents (refs, one per c.docs) and returns
// their outcome (outcomeOf).
func (c converted) recorded(log zerolog.Logger, refs []store.DocRef) outcome {
	for _, r := range refs {
		ev := log.Info()
		if r.Reason != "" {
			ev = log.Warn().Str("reason", string(r.Reason))
		}
		ev.Int64("doc", r.ID).Bool("existing", r.Existing).Str("state", string(r.State)).Str("format", string(c.format)).Msg("document recorded")
		if r.Reason == docbridge.MeasurementCorrection && !r.Existing {
			// MES cannot apply it: a person must, in the patient's profile.
			log.Error().Bool("alert", true).Str("reason", string(r.Reason)).Int64("doc", r.ID).
				Msg("ALERT: a measurement correction or retraction needs a person: MES publishes no update or delete of a measurement (queue review)")
		}
	}
	return outcomeOf(refs)
}

// outcomeOf is what an input whose documents are refs came to, from the
// states they were recorded in: failed when any of its documents failed,
// with the most severe reason among them (docbridge.MoreSevere; the first
// document among equals), converted otherwise. An input is answered as one
// unit (docs/architecture.md §3): over MLLP a failed outcome is an AE, over the FHIR
// intake a 422, in a drop folder failed/ with a reason file. When only some
// of its documents failed, the others are kept and go on as usual (each has
// its own id: when the sender fixes the input and sends it again, they are
// recognised, not sent twice), and the message, after the refused
// document's own, says so. It is the answer to the input's first
// conversion and to every resend of the same input (Accept), so that what
// was refused is refused again, with the same words.
func outcomeOf(refs []store.DocRef) outcome {
	out := outcome{state: docbridge.Converted}
	failed, worst := 0, -1
	for i, r := range refs {
		if r.State != docbridge.Failed {
			continue
		}
		failed++
		if worst < 0 || docbridge.MoreSevere(r.Reason, refs[worst].Reason) {
			worst = i
		}
	}
	if failed == 0 {
		return out
	}
	w := refs[worst]
	out.state, out.reason, out.message = docbridge.Failed, w.Reason, w.Message
	if failed < len(refs) {
		kept := "the other one was kept"
		if n := len(refs) - failed; n > 1 {
			kept = fmt.Sprintf("the %d others were kept", n)
		}
		// The document's own message comes first: it may start with the
		// place to fix (an HL7 location the MLLP intake puts in ERR-2).
		out.message = fmt.Sprintf("%s (document %d of %d is refused; %s)", w.Message, worst+1, len(refs), kept)
	}
	return out
}
