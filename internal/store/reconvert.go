package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
)

// Reconvertible reports whether converting the input again can change a
// document (or an input refused as a whole) stopped in state with reason:
// it stopped for what the configuration gives — a sidecar read again, a
// mapping, a source profile — not for what the source sent. It is the one
// rule `docbridge queue reconvert` and the console apply.
func Reconvertible(state docbridge.State, reason docbridge.Reason) bool {
	if state != docbridge.Review && state != docbridge.Failed {
		return false
	}
	switch reason {
	case docbridge.MissingMetadata, docbridge.UnmappedCode, docbridge.ProfileInvalid:
		return true
	}
	return false
}

// Reconversion is what Reconvert did.
type Reconversion struct {
	// Docs has one DocRef per Conversion.Docs, in order: a new version
	// (it went on, superseding the stopped one), the same version as a
	// stored one (Existing), or, for a uniqueId whose document of this
	// input moved on (neither stopped nor superseded), that document
	// (Existing, untouched).
	Docs []DocRef
	// Superseded are the stopped documents the new versions replaced.
	Superseded []int64
	// Unchanged is set when the conversion gave nothing new — the same
	// versions, or a refusal again — and nothing was recorded.
	Unchanged bool
	// Reason and Message are the refusal when the input is refused as a
	// whole again (Unchanged is then set).
	Reason  docbridge.Reason
	Message string
}

// StoppedInputs returns the inputs refused as a whole for a reason a
// reconversion can change (Reconvertible), oldest first.
func (s *Store) StoppedInputs(ctx context.Context) ([]Input, error) {
	out, err := queryInputs(ctx, s.r, `SELECT `+inputCols+` FROM inputs WHERE state = ? AND reason IN (?, ?, ?) ORDER BY id`,
		docbridge.Failed, docbridge.MissingMetadata, docbridge.UnmappedCode, docbridge.ProfileInvalid)
	if err != nil {
		return nil, fmt.Errorf("store: list stopped inputs: %w", err)
	}
	return out, nil
}

// Reconvert records conv, a new conversion of input inputID with what is
// configured now, in one transaction with its audit records (actor
// audit.ActorFrom(ctx, "convert")). The input must be refused as a whole
// for a Reconvertible reason, or converted with at least one document
// stopped for one (Reconvertible); otherwise Reconvert returns an error
// wrapping ErrConflict and records nothing. An unknown input is an error
// wrapping ErrNotFound.
//
// The documents of conv are recorded as RecordConversion records them,
// except those whose uniqueId belongs to a document of the input that
// moved on (it is left untouched). A new version of a stopped document
// supersedes it ("converted again as document N"); the input's conversion
// (what a resend of it is answered) becomes the new one, and an input
// refused as a whole becomes converted. When conv gives nothing new (the
// same versions, or a refusal), nothing is recorded and Unchanged is set.
func (s *Store) Reconvert(ctx context.Context, inputID int64, conv Conversion) (Reconversion, error) {
	res, err := s.reconvert(ctx, inputID, conv)
	if err != nil {
		return Reconversion{}, fmt.Errorf("store: reconvert input %d: %w", inputID, err)
	}
	return res, nil
}

func (s *Store) reconvert(ctx context.Context, inputID int64, conv Conversion) (Reconversion, error) {
	in, err := s.Input(ctx, inputID)
	if err != nil {
		return Reconversion{}, err
	}
	var p storedDocs
	if conv.Refusal == nil {
		if p, err = s.storeDocuments(ctx, contentRef{sha: in.SHA256, size: in.Size}, nil, conv.Docs); err != nil {
			return Reconversion{}, err
		}
	}
	var res Reconversion
	err = s.inAuditTxAfter(ctx, p.dirs, func(ctx context.Context, tx auditTx) error {
		res = Reconversion{}
		var st docbridge.State
		var reason docbridge.Reason
		if err := tx.QueryRowContext(ctx, `SELECT state, reason FROM inputs WHERE id = ?`, inputID).Scan(&st, &reason); err != nil {
			return err
		}
		mine, err := queryDocs(ctx, tx, `SELECT `+docCols+` FROM documents
	WHERE id IN (SELECT doc_id FROM conversions WHERE input_id = ?) ORDER BY id`, inputID)
		if err != nil {
			return err
		}
		pos, err := conversionRefs(ctx, tx, inputID)
		if err != nil {
			return err
		}
		movedOn := map[string]DocRow{}
		stopped := map[int]DocRow{} // by position in the input's conversion
		for _, d := range mine {
			switch {
			case Reconvertible(d.State, d.Reason):
				for i, r := range pos {
					if r.ID == d.ID {
						stopped[i] = d
					}
				}
			case d.State != docbridge.Superseded:
				movedOn[d.UniqueID] = d
			}
		}
		switch {
		case st == docbridge.Failed && Reconvertible(st, reason):
		case st == docbridge.Converted && len(stopped) > 0:
		default:
			return fmt.Errorf("input %d is %s with no document stopped for missing-metadata, unmapped-code or profile-invalid: %w", inputID, st, ErrConflict)
		}
		if conv.Refusal != nil {
			res.Unchanged, res.Reason, res.Message = true, docbridge.ReasonOf(conv.Refusal), docbridge.MessageOf(conv.Refusal)
			return nil
		}
		return s.recordReconversion(ctx, tx, inputID, st, p, movedOn, stopped, &res)
	})
	return res, err
}

// errUnchanged rolls back a reconversion that recorded nothing new.
var errUnchanged = errors.New("unchanged")

// recordReconversion records p for input inputID (in state st) in tx, as
// Reconvert says, and fills res. movedOn are the input's documents that
// moved on, by uniqueId; stopped its stopped documents, by position. A
// stopped document that no new version corrected (its uniqueId changed)
// is superseded by the new document at its position, if there is one. A
// reconversion whose every document is Existing is rolled back (a
// savepoint) and res.Unchanged set.
func (s *Store) recordReconversion(ctx context.Context, tx auditTx, inputID int64, st docbridge.State, p storedDocs,
	movedOn map[string]DocRow, stopped map[int]DocRow, res *Reconversion) error {
	failed, lost := savepoint(ctx, tx.Tx, "reconversion", func() error {
		now := nanos(s.now())
		res.Docs = make([]DocRef, len(p.docs))
		fresh := 0
		for i, nd := range p.docs {
			if d, ok := movedOn[nd.Doc.UniqueID]; ok {
				res.Docs[i] = DocRef{ID: d.ID, Existing: true, State: d.State, Reason: d.Reason, Message: d.Message}
				continue
			}
			again := func(id int64) string { return fmt.Sprintf("converted again as document %d", id) }
			ref, superseded, err := insertDocument(ctx, tx, inputID, p, i, now, again)
			if err != nil {
				return fmt.Errorf("document %d: %w", i, err)
			}
			if !ref.Existing {
				fresh++
			}
			res.Docs[i], res.Superseded = ref, append(res.Superseded, superseded...)
		}
		if fresh == 0 {
			return errUnchanged
		}
		for i, d := range stopped {
			if i >= len(res.Docs) || res.Docs[i].Existing || slices.Contains(res.Superseded, d.ID) {
				continue
			}
			err := transitionTx(ctx, tx, Transition{ID: d.ID, From: d.State, To: docbridge.Superseded,
				Message: fmt.Sprintf("converted again as document %d", res.Docs[i].ID), Actor: audit.ActorFrom(ctx, "convert")}, fromNanos(now))
			if err != nil {
				return fmt.Errorf("supersede document %d: %w", d.ID, err)
			}
			res.Superseded = append(res.Superseded, d.ID)
		}
		slices.Sort(res.Superseded)
		if _, err := tx.ExecContext(ctx, `DELETE FROM conversions WHERE input_id = ?`, inputID); err != nil {
			return err
		}
		for i, r := range res.Docs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO conversions (input_id, position, doc_id, existing) VALUES (?, ?, ?, ?)`,
				inputID, i, r.ID, bit(r.Existing)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE inputs SET state = ?, reason = '', message = '', updated_at = ? WHERE id = ?`,
			docbridge.Converted, now, inputID); err != nil {
			return err
		}
		return appendAudit(ctx, tx, &audit.Record{Kind: audit.InputConverted, Actor: audit.ActorFrom(ctx, "convert"), InputID: inputID,
			From: st, To: docbridge.Converted,
			Message: fmt.Sprintf("converted again: %d document(s), %d new, %d superseded", len(res.Docs), fresh, len(res.Superseded))}, now)
	})
	switch {
	case lost != nil:
		return lost
	case errors.Is(failed, errUnchanged):
		*res = Reconversion{Docs: res.Docs, Unchanged: true}
		return nil
	}
	return failed
}
