package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"

	"github.com/docbridge/docbridge/internal/audit"
)

// The audit trail lives in the audit table: one hash-chained record per
// change, appended by appendAudit in the transaction of the change itself
// (docs/architecture.md §1). audit_head holds the last record appended; audit_outbox
// the records each forwarding target has not taken yet. The events table
// is kept beside it as the operational history (History): the audit trail
// can be archived, the history cannot.

const auditCols = `seq, at, kind, actor, doc_id, input_id, unique_id, pairing_id, from_state, to_state,
	reason, message, request_id, http_status, mes_id, exchange, archived, prev_hash, hash`

// appendAudit seals r after the head (setting its Seq, At, PrevHash and
// Hash) and inserts it, all in tx; the insert moves the head and puts the
// record in every forwarding target's outbox (the audit_appended trigger,
// schema step 10). at is the change's time (Unix nanoseconds). tx holds
// lockChain (inAuditTx), so no other transaction reads the same head.
func appendAudit(ctx context.Context, tx auditTx, r *audit.Record, at int64) error {
	var seq int64
	var prev string
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &prev); err != nil {
		return fmt.Errorf("read audit head: %w", err)
	}
	r.At = fromNanos(at)
	audit.Seal(r, seq, prev)
	return insertAuditRow(ctx, tx.Tx, r)
}

// insertAuditRow inserts r as it is.
func insertAuditRow(ctx context.Context, tx *sql.Tx, r *audit.Record) error {
	var ex audit.Exchange
	if r.Exchange != nil {
		ex = *r.Exchange
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit (`+auditCols+`)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, nanos(r.At), r.Kind, r.Actor, r.DocID, r.InputID, r.UniqueID, r.PairingID, r.From, r.To,
		r.Reason, r.Message, ex.RequestID, ex.Status, ex.MESID, bit(r.Exchange != nil), r.Archived, r.PrevHash, r.Hash)
	if err != nil {
		return fmt.Errorf("append audit record %d: %w", r.Seq, err)
	}
	return nil
}

// scanAudit reads one row of auditCols.
func scanAudit(sc interface{ Scan(...any) error }) (audit.Record, error) {
	var r audit.Record
	var at int64
	var ex audit.Exchange
	var hasEx bool // scanned from 0 or 1
	err := sc.Scan(&r.Seq, &at, &r.Kind, &r.Actor, &r.DocID, &r.InputID, &r.UniqueID, &r.PairingID, &r.From, &r.To,
		&r.Reason, &r.Message, &ex.RequestID, &ex.Status, &ex.MESID, &hasEx, &r.Archived, &r.PrevHash, &r.Hash)
	r.At = fromNanos(at)
	if hasEx {
		r.Exchange = &ex
	}
	return r, err
}

// auditRows iterates over the records a query selecting auditCols returns.
func auditRows(ctx context.Context, q querier, query string, args ...any) iter.Seq2[audit.Record, error] {
	return func(yield func(audit.Record, error) bool) {
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			yield(audit.Record{}, fmt.Errorf("store: read audit records: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanAudit(rows)
			if err != nil {
				yield(audit.Record{}, fmt.Errorf("store: read audit records: %w", err))
				return
			}
			if !yield(r, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(audit.Record{}, fmt.Errorf("store: read audit records: %w", err))
		}
	}
}

// AuditRecords iterates over the audit table in chain order (a leading
// checkpoint first), streaming from one read.
func (s *Store) AuditRecords(ctx context.Context) iter.Seq2[audit.Record, error] {
	return auditRows(ctx, s.r, `SELECT `+auditCols+` FROM audit ORDER BY seq`)
}

// AuditTimeline returns every audit record about document docID still in
// the table, in chain order: its creation, transitions and MES exchanges,
// and the records of the input it came from (accepted, converted). It
// returns an error wrapping ErrNotFound for an unknown document.
func (s *Store) AuditTimeline(ctx context.Context, docID int64) ([]audit.Record, error) {
	d, err := s.Document(ctx, docID)
	if err != nil {
		return nil, err
	}
	var out []audit.Record
	for r, err := range auditRows(ctx, s.r, `SELECT `+auditCols+` FROM audit
	WHERE doc_id = ? OR (doc_id = 0 AND input_id = ?) ORDER BY seq`, docID, d.InputID) {
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// VerifyAudit verifies the audit table (audit.Verify) against its head,
// in one read transaction (one snapshot) so that daemons appending
// meanwhile do not matter. from is where the chain must start (the end of
// the last archive checked before), or nil. It returns an *audit.Break for
// a broken chain.
func (s *Store) VerifyAudit(ctx context.Context, from *audit.Anchor) (audit.Result, error) {
	tx, err := s.r.BeginTx(ctx, s.eng.snapshotTx())
	if err != nil {
		return audit.Result{}, fmt.Errorf("store: verify audit: %w", err)
	}
	defer tx.Rollback()
	var head audit.Anchor
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&head.Seq, &head.Hash); err != nil {
		return audit.Result{}, fmt.Errorf("store: verify audit: read head: %w", err)
	}
	return audit.Verify(auditRows(ctx, tx, `SELECT `+auditCols+` FROM audit ORDER BY seq`), audit.VerifyOptions{From: from, Head: &head})
}

// RecordAdmin appends an Admin record for an action a person took that
// changes nothing else in the store (a console action, an export). The
// actor is audit.ActorFrom(ctx, "user:unknown"); docID may be 0; message
// must carry no patient data.
func (s *Store) RecordAdmin(ctx context.Context, docID int64, message string) error {
	err := s.inAuditTx(ctx, func(ctx context.Context, tx auditTx) error {
		return appendAudit(ctx, tx, &audit.Record{Kind: audit.Admin, Actor: audit.ActorFrom(ctx, "user:unknown"),
			DocID: docID, Message: message}, nanos(s.now()))
	})
	if err != nil {
		return fmt.Errorf("store: record admin action: %w", err)
	}
	return nil
}

// errAuditChanged is returned by ArchiveAudit when the table changed
// under it in a way no append does.
var errAuditChanged = errors.New("the audit table changed while it was archived")

// bit is a boolean as the schema stores it: 0 or 1 (PostgreSQL does not
// take a boolean into an integer column).
func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}
