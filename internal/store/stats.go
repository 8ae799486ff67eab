package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
)

// This file holds read-only aggregate and search queries for the admin
// console and the metrics. Nothing here writes.

// Count is the number of documents in one (state, reason, intake) group.
type Count struct {
	State  docbridge.State
	Reason docbridge.Reason
	Intake string // the intake of the input that first produced the document
	N      int
}

// CountsByGroup returns the number of documents per state, reason and
// intake, ordered by those three. Empty groups are absent.
func (s *Store) CountsByGroup(ctx context.Context) ([]Count, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT d.state, d.reason, i.intake, COUNT(*)
	FROM documents d JOIN inputs i ON i.id = d.input_id
	GROUP BY d.state, d.reason, i.intake ORDER BY d.state, d.reason, i.intake`)
	if err != nil {
		return nil, fmt.Errorf("store: count documents by group: %w", err)
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.State, &c.Reason, &c.Intake, &c.N); err != nil {
			return nil, fmt.Errorf("store: count documents by group: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: count documents by group: %w", err)
	}
	return out, nil
}

// movingStates are the states of documents that the pipeline should move
// on by itself: waiting for a stage, or held for MES or an internal error.
// Documents held for the patient's pairing (Reason.WaitsForPairing) and
// documents in review (waiting for a person) are not moving ones.
const movingStates = `('received', 'converted', 'matched', 'held')`

// pairingWaitReasons is the SQL list of the reasons for which a held
// document waits for the patient's pairing (Reason.WaitsForPairing).
var pairingWaitReasons = func() string {
	var q []string
	for _, r := range docbridge.Reasons() {
		if r.WaitsForPairing() {
			q = append(q, "'"+string(r)+"'")
		}
	}
	return "(" + strings.Join(q, ", ") + ")"
}()

// OldestPending returns the creation time (UTC) of the oldest document
// that should be moving (received, converted, matched, or held for a reason
// other than waiting for the patient's pairing), and whether there is one.
// It is what the stall alarm watches: a lab whose only waiting documents
// belong to unpaired patients is not stalled.
func (s *Store) OldestPending(ctx context.Context) (time.Time, bool, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MIN(created_at), 0) FROM documents
	WHERE state IN `+movingStates+` AND NOT (state = 'held' AND reason IN `+pairingWaitReasons+`)`).Scan(&n)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: oldest pending document: %w", err)
	}
	return fromNanos(n), n != 0, nil
}

// OldestWaitingForPairing returns the creation time (UTC) of the oldest
// document held for the patient's pairing (Reason.WaitsForPairing), and
// whether there is one.
func (s *Store) OldestWaitingForPairing(ctx context.Context) (time.Time, bool, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MIN(created_at), 0) FROM documents
	WHERE state = 'held' AND reason IN `+pairingWaitReasons).Scan(&n)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: oldest document waiting for a pairing: %w", err)
	}
	return fromNanos(n), n != 0, nil
}

// LastIntake returns when the most recent input was received (UTC), and
// whether there is any input.
func (s *Store) LastIntake(ctx context.Context) (time.Time, bool, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(received_at), 0) FROM inputs`).Scan(&n); err != nil {
		return time.Time{}, false, fmt.Errorf("store: last intake: %w", err)
	}
	return fromNanos(n), n != 0, nil
}

// Ping reports whether the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Intakes returns the names of the intakes that have inputs, sorted.
func (s *Store) Intakes(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT intake FROM inputs ORDER BY intake`)
	if err != nil {
		return nil, fmt.Errorf("store: list intakes: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("store: list intakes: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
