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

// AcceptConverted is the store's door for an input (AcceptJournaled is
// its variant for MLLP, which may answer from the intake journal): it makes the
// input durable and, for bytes not stored before, records its conversion
// in the same transaction, so that an intake learns the outcome (for a
// reason file or an HL7 AE) with one commit. It returns only after that
// commit.
//
// It reads e.Body to EOF, hashing it on the way and holding at most
// InlineMax bytes of it in memory: an input of at most InlineMax bytes is
// stored inside the database with its row (inline.go), a bigger one is
// streamed into a content file made durable (fsync, rename, directory
// fsync) before the row. It commits the row with its input.accepted audit
// record (actor "intake:"+e.Intake; the size, hash and the ref of the
// sender's message id, never the source name, which may be a file named
// after the patient). e.Sidecar is stored with the input (an empty one as
// none). An input is its bytes and its sidecar: the same bytes with the
// same sidecar (or both without) accepted again store nothing new, and the
// first input's id comes back with Duplicate set; the same bytes with
// another sidecar (or none) are a new input. An input over
// Options.MaxInputSize, or with a sidecar over docbridge.MaxSidecar, is
// refused with an *docbridge.Error of reason TooLarge and leaves nothing
// behind. Any other failure (disk, database, ctx done) is an
// *docbridge.Error of reason Internal wrapping the cause; nothing was
// accepted and the sender must keep the input. A zero e.ReceivedAt means
// now.
//
// Once the input's content is stored (fsynced and in place, or held in
// memory until the commit when it is stored inline; its row not yet
// committed), convert is called with the input — ID is 0, Source,
// Sidecar, SHA256 and Size are set, and OpenContent and ReadContent read
// its bytes. Its documents' content is stored as RecordConversion stores
// it; then one transaction inserts the input, with its audit record, and
// the records of RecordConversion (or of FailInput for a Refusal). When
// convert is nil, or returns an error, or its conversion cannot be
// recorded, the input alone is committed, in Received, for the convert
// stage, and Converted.Deferred says why (nil for a nil convert). convert
// is not called for an input (bytes and sidecar) stored before, nor for
// inputs refused before they are stored.
func (s *Store) AcceptConverted(ctx context.Context, e *docbridge.Envelope, convert func(in Input) (Conversion, error)) (Converted, error) {
	a, err := s.prepare(ctx, e, s.maxInput)
	if err != nil {
		return Converted{}, err
	}
	defer a.release()
	s.convertIfNew(ctx, a, convert)
	return s.acceptPrepared(ctx, a)
}

// accepting is an input on its way through AcceptConverted,
// AcceptJournaled or ApplyJournal: stored (its content in place, or held
// in memory when inline), not yet committed.
type accepting struct {
	in      Input
	body    inputBody
	release func() // ends the hold of inline bytes (pending); call once committed
	// known says an input with the same bytes and sidecar is stored
	// (knownInput); when it could not be looked up, deferred says why.
	known bool
	// plan is what convert made of a new input, ready to record (nil:
	// nothing to record; deferred says why when convert was called).
	plan     *conversionPlan
	deferred error
}

// prepare stores e's body (storeInput, within maxInput) and holds inline
// bytes for OpenContent until a.release. Its errors are AcceptConverted's.
func (s *Store) prepare(ctx context.Context, e *docbridge.Envelope, maxInput int64) (*accepting, error) {
	in, body, err := s.storeInput(ctx, e, maxInput)
	if err != nil {
		return nil, err
	}
	a := &accepting{in: in, body: body, release: func() {}}
	if body.inline != nil {
		a.release = s.pending.hold(in.SHA256, body.inline)
	}
	return a, nil
}

// convertIfNew looks a's input up (knownInput) and, when it is new and
// convert is not nil, converts it (convertNew).
func (s *Store) convertIfNew(ctx context.Context, a *accepting, convert func(in Input) (Conversion, error)) {
	var err error
	if a.known, err = s.knownInput(ctx, a.in); err != nil {
		a.deferred = fmt.Errorf("look the input up: %w", err)
		return
	}
	if !a.known && convert != nil {
		s.convertNew(ctx, a, convert)
	}
}

// convertNew converts a's new input with convert and stores the content
// of its documents, setting a.plan, or a.deferred.
func (s *Store) convertNew(ctx context.Context, a *accepting, convert func(in Input) (Conversion, error)) {
	conv, err := convert(a.in)
	if err != nil {
		a.deferred = err
		return
	}
	a.plan, a.deferred = s.planConversion(ctx, a.in, a.body.inline, conv)
}

// acceptPrepared commits a, as AcceptConverted says.
func (s *Store) acceptPrepared(ctx context.Context, a *accepting) (Converted, error) {
	var c Converted
	err := s.inAuditTxAfter(ctx, a.dirs(), func(ctx context.Context, tx auditTx) error {
		var err error
		c, err = s.record(ctx, tx, a, true)
		return err
	})
	if err != nil {
		return Converted{}, docbridge.Wrap(docbridge.Internal, "record input", err)
	}
	return c, nil
}

// dirs are the content directories a's commit must follow (fsynced).
func (a *accepting) dirs() []string {
	if a.plan == nil {
		return a.body.dirs
	}
	return append(append([]string(nil), a.body.dirs...), a.plan.docs.dirs...)
}

// record inserts a's input in tx and records its conversion, as
// AcceptConverted says (saved: as recordPlan says); its error means tx
// must not be committed.
func (s *Store) record(ctx context.Context, tx auditTx, a *accepting, saved bool) (Converted, error) {
	c := Converted{Deferred: a.deferred}
	in := a.in
	dup, err := s.insertInput(ctx, tx, &in, a.body.inline)
	if dup && err == nil && in.State == docbridge.Converted {
		c.Docs, err = conversionRefs(ctx, tx, in.ID)
	}
	if err != nil {
		return Converted{}, err
	}
	c.Duplicate = dup
	if !dup && a.plan != nil {
		if c.Deferred, err = s.recordPlan(ctx, tx, &in, a.plan, &c, saved); err != nil {
			return Converted{}, err
		}
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

// planConversion stores the content of conv's documents, for the input
// in (whose bytes are inline when stored inline, or nil); deferred is why
// there is nothing to record.
func (s *Store) planConversion(ctx context.Context, in Input, inline []byte, conv Conversion) (plan *conversionPlan, deferred error) {
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
// in's state and c.Docs. With saved, it runs in a savepoint of its own:
// when recording fails, the input stays as inserted (Received) and
// deferred says why, and err is set when the savepoint itself fails (tx is
// then lost). Without, a failure to record is err, and the whole of tx
// must be rolled back.
func (s *Store) recordPlan(ctx context.Context, tx auditTx, in *Input, plan *conversionPlan, c *Converted, saved bool) (deferred, err error) {
	rec := func() error {
		if plan.refusal != nil {
			reason, msg := docbridge.ReasonOf(plan.refusal), docbridge.MessageOf(plan.refusal)
			_, err := s.failReceived(ctx, tx, in.ID, reason, msg)
			if err == nil {
				in.State, in.Reason, in.Message = docbridge.Failed, reason, msg
			}
			return err
		}
		var err error
		if c.Docs, err = s.recordDocuments(ctx, tx, in.ID, plan.docs); err == nil {
			in.State = docbridge.Converted
		}
		return err
	}
	if !saved {
		return nil, rec()
	}
	if deferred, err = savepoint(ctx, tx.Tx, "conversion", rec); deferred != nil {
		c.Docs = nil
		deferred = fmt.Errorf("record the conversion: %w", deferred)
	}
	return deferred, err
}
