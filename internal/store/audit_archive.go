package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/docbridge/docbridge/internal/audit"
)

// ArchiveWriter writes the records ArchiveAudit archives. It must return
// nil only once they are durable (written, fsynced): ArchiveAudit deletes
// them from the table after it returns.
type ArchiveWriter func(h audit.ArchiveHeader, records iter.Seq2[audit.Record, error]) error

// ArchiveAudit moves the oldest audit records to an archive: the records
// from the start of the chain recorded before `before`, stopping before the
// first one still waiting in a forwarding outbox. It verifies the whole
// chain first and refuses (returning the *audit.Break) when it is broken.
// It calls write with the archive's header and records from one read
// snapshot; when write returns nil, it replaces the archived records, in
// one transaction, by a Checkpoint record carrying the last archived
// record's seq and hash and the number archived in all, and appends an
// Archived record (actor audit.ActorFrom(ctx, "user:unknown")) saying what
// was archived, so verification goes on from the checkpoint. It returns
// the header; Count 0 means there was nothing to archive (write was not
// called).
func (s *Store) ArchiveAudit(ctx context.Context, before time.Time, write ArchiveWriter) (audit.ArchiveHeader, error) {
	h, err := s.archiveAudit(ctx, before, write)
	if err != nil {
		return h, fmt.Errorf("store: archive audit records before %s: %w", before.UTC().Format(time.RFC3339), err)
	}
	return h, nil
}

func (s *Store) archiveAudit(ctx context.Context, before time.Time, write ArchiveWriter) (audit.ArchiveHeader, error) {
	if _, err := s.VerifyAudit(ctx, nil); err != nil {
		return audit.ArchiveHeader{}, err
	}
	tx, err := s.r.BeginTx(ctx, s.eng.snapshotTx())
	if err != nil {
		return audit.ArchiveHeader{}, err
	}
	defer tx.Rollback()
	first, err := scanAudit(tx.QueryRowContext(ctx, `SELECT `+auditCols+` FROM audit ORDER BY seq LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return audit.ArchiveHeader{}, nil
	}
	if err != nil {
		return audit.ArchiveHeader{}, err
	}
	h := audit.ArchiveHeader{Before: before.UTC(), Created: s.now().UTC()}
	var archivedBefore int64
	if first.Kind == audit.Checkpoint {
		h.First, h.Prev, archivedBefore = first.Seq+1, first.Hash, first.Archived
	} else {
		h.First, h.Prev = first.Seq, first.PrevHash
	}
	// The first record not to archive: recorded at or after before, or
	// still waiting to be forwarded.
	var stop sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MIN(seq) FROM audit WHERE seq >= ? AND (at >= ? OR seq IN (SELECT seq FROM audit_outbox))`,
		h.First, nanos(before)).Scan(&stop); err != nil {
		return h, err
	}
	if stop.Valid {
		h.Last = stop.Int64 - 1
	} else if err := tx.QueryRowContext(ctx, `SELECT seq FROM audit_head WHERE id = 1`).Scan(&h.Last); err != nil {
		return h, err
	}
	if h.Last < h.First {
		return audit.ArchiveHeader{}, nil
	}
	if err := tx.QueryRowContext(ctx, `SELECT hash FROM audit WHERE seq = ?`, h.Last).Scan(&h.LastHash); err != nil {
		return h, fmt.Errorf("read record %d: %w", h.Last, err)
	}
	h.Count = h.Last - h.First + 1
	if err := write(h, auditRows(ctx, tx, `SELECT `+auditCols+` FROM audit WHERE seq BETWEEN ? AND ? ORDER BY seq`, h.First, h.Last)); err != nil {
		return h, fmt.Errorf("write archive: %w", err)
	}
	tx.Rollback()

	actor := audit.ActorFrom(ctx, "user:unknown")
	err = s.inAuditTx(ctx, func(ctx context.Context, tx auditTx) error {
		var lastHash string
		var lead int64
		if err := tx.QueryRowContext(ctx, `SELECT hash FROM audit WHERE seq = ?`, h.Last).Scan(&lastHash); err != nil || lastHash != h.LastHash {
			return errAuditChanged
		}
		if err := tx.QueryRowContext(ctx, `SELECT MIN(seq) FROM audit`).Scan(&lead); err != nil || lead != first.Seq {
			return errAuditChanged
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM audit WHERE seq <= ?`, h.Last); err != nil {
			return fmt.Errorf("delete archived records: %w", err)
		}
		now := nanos(s.now())
		cp := &audit.Record{Seq: h.Last, At: fromNanos(now), Kind: audit.Checkpoint, Actor: actor,
			Message:  fmt.Sprintf("records %d to %d archived (recorded before %s)", h.First, h.Last, h.Before.Format(time.RFC3339)),
			Archived: archivedBefore + h.Count, Hash: h.LastHash}
		if err := insertAuditRow(ctx, tx.Tx, cp); err != nil {
			return err
		}
		return appendAudit(ctx, tx, &audit.Record{Kind: audit.Archived, Actor: actor,
			Message: fmt.Sprintf("archived records %d to %d (%d records recorded before %s); the last one has hash %s",
				h.First, h.Last, h.Count, h.Before.Format(time.RFC3339), h.LastHash)}, now)
	})
	return h, err
}
