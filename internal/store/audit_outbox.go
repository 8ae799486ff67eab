package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/docbridge/docbridge/internal/audit"
)

var _ audit.Outbox = (*Store)(nil)

// SetAuditTargets makes names the forwarding targets: a new target starts
// with an empty outbox (it receives the records appended from now on), and
// a target not in names is removed with its outbox. Every process that
// appends records (serve, pair, audit archive) then queues them for the
// targets, whatever its own configuration. It runs under the audit chain's
// lock, so that no append queues a record for a target being removed.
func (s *Store) SetAuditTargets(ctx context.Context, names []string) error {
	err := s.inAuditTx(ctx, func(ctx context.Context, tx auditTx) error {
		keep := map[string]bool{}
		for _, n := range names {
			keep[n] = true
			if _, err := tx.ExecContext(ctx, `INSERT INTO audit_targets (name, added_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
				n, nanos(s.now())); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT name FROM audit_targets`)
		if err != nil {
			return err
		}
		var drop []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return err
			}
			if !keep[n] {
				drop = append(drop, n)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, n := range drop {
			if _, err := tx.ExecContext(ctx, `DELETE FROM audit_targets WHERE name = ?`, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: set audit forwarding targets: %w", err)
	}
	return nil
}

// Pending implements audit.Outbox: up to limit records (limit <= 0: all)
// not yet forwarded to target, in chain order.
func (s *Store) Pending(ctx context.Context, target string, limit int) ([]audit.Record, error) {
	q := `SELECT ` + auditCols + ` FROM audit WHERE seq IN (SELECT seq FROM audit_outbox WHERE target = ?) ORDER BY seq`
	args := []any{target}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	var out []audit.Record
	for r, err := range auditRows(ctx, s.r, q, args...) {
		if err != nil {
			return nil, fmt.Errorf("store: audit outbox of %s: %w", target, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// MarkSent implements audit.Outbox: record seq leaves target's outbox.
// Marking a record that is not there is not an error.
func (s *Store) MarkSent(ctx context.Context, target string, seq int64) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM audit_outbox WHERE target = ? AND seq = ?`, target, seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: mark audit record %d sent to %s: %w", seq, target, err)
	}
	return nil
}

// OutboxLen returns how many records wait for target.
func (s *Store) OutboxLen(ctx context.Context, target string) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_outbox WHERE target = ?`, target).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: audit outbox of %s: %w", target, err)
	}
	return n, nil
}
