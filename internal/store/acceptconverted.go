package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/docbridge/docbridge"
)

// Conversion is what a converter made of one input, for AcceptConverted:
// its documents, or its refusal.
type Conversion struct {
	// Docs are the documents to record, as RecordConversion takes them.
	Docs []NewDocument
	// Refusal, when not nil, refuses the input as a whole, as FailInput
	// does, with reason docbridge.ReasonOf(Refusal) and message
	// docbridge.MessageOf(Refusal); Docs are then ignored.
	Refusal error
}

// Converted is what AcceptConverted recorded.
type Converted struct {
	// Accepted is the input. Its State is Converted (Docs recorded), Failed
	// (refused: Reason and Message say why) or Received (not converted
	// yet: Deferred says why); for a Duplicate, the stored input's state,
	// reason and message.
	docbridge.Accepted
	// Docs has one DocRef per Conversion.Docs, in order, when State is
	// Converted; for a Duplicate in state Converted, the stored input's
	// DocRefs, in the same order, with their current states (a refused
	// one superseded by its correction as refused: conversionRefs); nil
	// otherwise.
	Docs []DocRef
	// Deferred is why a new input was left in Received: the error convert
	// returned, or why its conversion could not be recorded. The input
	// waits for the converter (ClaimInputs, RecordConversion or FailInput).
	Deferred error
}

// AcceptConverted is Accept and, for bytes not stored before, the
// conversion of the input recorded in the same transaction, so that an
// intake learns the outcome (for a reason file or an HL7 AE) with one
// commit. It returns only once that commit is done; its errors are
// Accept's, and then nothing was recorded.
//
// Once the input's content is stored (fsynced and in place, or held in
// memory until the commit when it is stored inline; its row not yet
// committed), convert is called with the input — ID is 0, Source,
// Sidecar, SHA256 and Size are set, and OpenContent and ReadContent read
// its bytes. Its documents' content is stored as RecordConversion stores
// it; then one transaction inserts the input, with the records of Accept,
// and those of RecordConversion (or of FailInput for a Refusal). When
// convert returns an error, or its conversion cannot be recorded, the
// input alone is committed, in Received, and Converted.Deferred says why.
// convert is not called for an input (bytes and sidecar) stored before,
// nor for inputs Accept would refuse.
func (s *Store) AcceptConverted(ctx context.Context, e *docbridge.Envelope, convert func(in Input) (Conversion, error)) (Converted, error) {
	in, body, err := s.storeInput(ctx, e)
	if err != nil {
		return Converted{}, err
	}
	if body.inline != nil {
		defer s.pending.hold(in.SHA256, body.inline)()
	}
	dirs := body.dirs
	var plan *conversionPlan // nil: nothing to record
	var deferred error
	switch known, err := s.knownInput(ctx, in); {
	case err != nil:
		deferred = fmt.Errorf("look the input up: %w", err)
	case !known:
		plan, deferred = s.convertNew(ctx, in, body.inline, convert)
	}
	if plan != nil {
		dirs = append(dirs, plan.docs.dirs...)
	}
	var c Converted
	err = s.inAuditTxAfter(ctx, dirs, func(ctx context.Context, tx auditTx) error {
		c = Converted{Deferred: deferred}
		dup, err := s.insertInput(ctx, tx, &in, body.inline)
		if dup && err == nil && in.State == docbridge.Converted {
			c.Docs, err = conversionRefs(ctx, tx, in.ID)
		}
		if err != nil || dup || plan == nil {
			c.Duplicate = dup
			return err
		}
		c.Deferred, err = s.recordPlan(ctx, tx, &in, plan, &c)
		return err
	})
	if err != nil {
		return Converted{}, docbridge.Wrap(docbridge.Internal, "record input", err)
	}
	c.ID, c.SHA256, c.Size = in.ID, in.SHA256, in.Size
	c.State, c.Reason, c.Message = in.State, in.Reason, in.Message
	return c, nil
}

// conversionPlan is a conversion ready to record: a refusal, or documents
// whose content is stored.
type conversionPlan struct {
	refusal error
	docs    storedDocs
}

// knownInput reports whether an input with in's bytes and sidecar is
// stored (a read: an input committed meanwhile is found by insertInput).
func (s *Store) knownInput(ctx context.Context, in Input) (bool, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT id FROM inputs WHERE sha256 = ? AND sidecar_sha256 = ?`,
		in.SHA256, sidecarKey(in.Sidecar)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// convertNew converts the input in (whose bytes are inline when stored
// inline, or nil) with convert and stores the content of its documents;
// deferred is why there is nothing to record.
func (s *Store) convertNew(ctx context.Context, in Input, inline []byte, convert func(in Input) (Conversion, error)) (plan *conversionPlan, deferred error) {
	conv, err := convert(in)
	if err != nil {
		return nil, err
	}
	if conv.Refusal != nil {
		return &conversionPlan{refusal: conv.Refusal}, nil
	}
	docs, err := s.storeDocuments(ctx, contentRef{sha: in.SHA256, size: in.Size}, inline, conv.Docs)
	if err != nil {
		return nil, fmt.Errorf("record the conversion: %w", err)
	}
	return &conversionPlan{docs: docs}, nil
}

// recordPlan records plan for the input in, just inserted in tx, and sets
// in's state and c.Docs. It runs in a savepoint of its own: when recording
// fails, the input stays as inserted (Received) and deferred says why. err
// is set when the savepoint itself fails, and tx is then lost.
func (s *Store) recordPlan(ctx context.Context, tx auditTx, in *Input, plan *conversionPlan, c *Converted) (deferred, err error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT conversion`); err != nil {
		return nil, err
	}
	if plan.refusal != nil {
		reason, msg := docbridge.ReasonOf(plan.refusal), docbridge.MessageOf(plan.refusal)
		if _, deferred = s.failReceived(ctx, tx, in.ID, reason, msg); deferred == nil {
			in.State, in.Reason, in.Message = docbridge.Failed, reason, msg
		}
	} else if c.Docs, deferred = s.recordDocuments(ctx, tx, in.ID, plan.docs); deferred == nil {
		in.State = docbridge.Converted
	}
	if deferred != nil {
		c.Docs = nil
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO conversion`); err != nil {
			return nil, err
		}
		deferred = fmt.Errorf("record the conversion: %w", deferred)
	}
	_, err = tx.ExecContext(ctx, `RELEASE conversion`)
	return deferred, err
}
