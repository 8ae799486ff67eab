package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
)

// Transition moves one document between states.
type Transition struct {
	ID          int64
	From, To    docbridge.State // both required; From == To is allowed (a retry rescheduled)
	Reason      docbridge.Reason
	Message     string
	Actor       string    // the component or user that made the change
	NextAttempt time.Time // when the document is next due; zero means now
	Attempted   bool      // count one more delivery attempt
	PairingID   string    // set when not empty
	MESID       string    // set when not empty
	// Exchange, when not nil, is the MES exchange this transition records
	// the outcome of: it gets its own audit record (kind mes.exchange, with
	// Reason and Message as its outcome) just before the transition's.
	Exchange *audit.Exchange
}

// Transition applies t in one transaction, with its event row and its
// audit records (the exchange's, then the transition's): if document
// t.ID is in state t.From, it takes state t.To, reason t.Reason and message
// t.Message (both replaced, "" clearing them), next attempt t.NextAttempt,
// one more attempt when t.Attempted, and t.PairingID and t.MESID when they
// are not empty. It returns ErrConflict itself (not wrapped, so that both
// err == ErrConflict and errors.Is work) when the document is in another
// state than t.From: another worker moved it and nothing was changed. It
// returns an error wrapping ErrNotFound for an unknown id.
func (s *Store) Transition(ctx context.Context, t Transition) error {
	errs, err := s.Transitions(ctx, []Transition{t})
	if err != nil {
		return err
	}
	return errs[0]
}

// Transitions applies ts in one transaction, in order, each as Transition
// would apply it alone: errs[i] is nil when ts[i] was applied, ErrConflict
// (unwrapped) when its document was not in ts[i].From, or an error
// wrapping ErrNotFound for an unknown document or saying what is missing;
// those leave the others applied. err is set when the transaction itself
// failed: then none was applied. It is how a stage records the outcomes of
// a batch with one commit instead of one per document.
func (s *Store) Transitions(ctx context.Context, ts []Transition) (errs []error, err error) {
	errs = make([]error, len(ts))
	now := s.now()
	err = s.inAuditTx(ctx, func(ctx context.Context, tx auditTx) error {
		clear(errs)
		for i, t := range ts {
			if t.From == "" || t.To == "" {
				errs[i] = fmt.Errorf("store: transition document %d: from %q to %q: both states are required", t.ID, t.From, t.To)
				continue
			}
			switch err := transitionTx(ctx, tx, t, now); {
			case err == ErrConflict:
				errs[i] = err
			case errors.Is(err, ErrNotFound):
				errs[i] = fmt.Errorf("store: transition document %d: %w", t.ID, err)
			case err != nil:
				return fmt.Errorf("document %d from %s to %s: %w", t.ID, t.From, t.To, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: transitions: %w", err)
	}
	return errs, nil
}

// transitionTx applies t in tx at now, with its event row and audit
// records, as Transition says; it returns ErrConflict (unwrapped) when the
// document is not in t.From and ErrNotFound for an unknown id.
func transitionTx(ctx context.Context, tx auditTx, t Transition, now time.Time) error {
	next := t.NextAttempt
	if next.IsZero() {
		next = now
	}
	attempted := 0
	if t.Attempted {
		attempted = 1
	}
	var uniqueID, pairingID string
	var inputID int64
	err := tx.QueryRowContext(ctx, `UPDATE documents SET
	state = ?, reason = ?, message = ?, next_attempt_at = ?, attempts = attempts + ?,
	pairing_id = CASE WHEN ? = '' THEN pairing_id ELSE ? END,
	mes_id = CASE WHEN ? = '' THEN mes_id ELSE ? END,
	updated_at = ?
	WHERE id = ? AND state = ?
	RETURNING unique_id, input_id, pairing_id`,
		t.To, t.Reason, t.Message, nanos(next), attempted,
		t.PairingID, t.PairingID, t.MESID, t.MESID,
		nanos(now), t.ID, t.From).Scan(&uniqueID, &inputID, &pairingID)
	if errors.Is(err, sql.ErrNoRows) {
		var st docbridge.State
		err := tx.QueryRowContext(ctx, `SELECT state FROM documents WHERE id = ?`, t.ID).Scan(&st)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return ErrConflict
	}
	if err != nil {
		return err
	}
	if err := insertEvent(ctx, tx.Tx, Event{DocID: t.ID, From: t.From, To: t.To,
		Reason: t.Reason, Message: t.Message, Actor: t.Actor}, nanos(now)); err != nil {
		return err
	}
	rec := audit.Record{Actor: t.Actor, DocID: t.ID, InputID: inputID, UniqueID: uniqueID, PairingID: pairingID,
		Reason: t.Reason, Message: t.Message}
	if t.Exchange != nil {
		ex := rec
		ex.Kind, ex.Exchange = audit.MESExchange, t.Exchange
		if err := appendAudit(ctx, tx, &ex, nanos(now)); err != nil {
			return err
		}
	}
	rec.Kind, rec.From, rec.To = audit.DocumentTransition, t.From, t.To
	return appendAudit(ctx, tx, &rec, nanos(now))
}

// Event is one recorded state transition. The first event of a document
// has From "" (it was created in state To).
type Event struct {
	DocID   int64
	At      time.Time // UTC
	From    docbridge.State
	To      docbridge.State
	Reason  docbridge.Reason
	Message string
	Actor   string
}

// insertEvent records e at time at (e.At is ignored).
func insertEvent(ctx context.Context, tx *sql.Tx, e Event, at int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO events (doc_id, at, from_state, to_state, reason, message, actor)
	VALUES (?, ?, ?, ?, ?, ?, ?)`, e.DocID, at, e.From, e.To, e.Reason, e.Message, e.Actor)
	if err != nil {
		return fmt.Errorf("record event: %w", err)
	}
	return nil
}

// History returns document docID's transitions, oldest first, starting
// with its creation. It returns an error wrapping ErrNotFound for an
// unknown document.
func (s *Store) History(ctx context.Context, docID int64) ([]Event, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT doc_id, at, from_state, to_state, reason, message, actor
	FROM events WHERE doc_id = ? ORDER BY id`, docID)
	if err != nil {
		return nil, fmt.Errorf("store: history of document %d: %w", docID, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&e.DocID, &at, &e.From, &e.To, &e.Reason, &e.Message, &e.Actor); err != nil {
			return nil, fmt.Errorf("store: history of document %d: %w", docID, err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: history of document %d: %w", docID, err)
	}
	if len(out) == 0 {
		if _, err := s.Document(ctx, docID); err != nil {
			return nil, err
		}
	}
	return out, nil
}
