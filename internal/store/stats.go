package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
)

// This file holds the read-only ages and health queries of the admin
// console and the metrics. Nothing here writes, and nothing here reads
// more than a few index entries per group of documents (counts.go): a
// scrape costs the same with a thousand documents or a million.

// group is one (state, reason) pair of the kept counts.
type group struct {
	State  docbridge.State
	Reason docbridge.Reason
}

// groups returns the distinct (state, reason) pairs of counts that keep
// selects, in the counts' order.
func groups(counts []Count, keep func(Count) bool) []group {
	var out []group
	seen := map[group]bool{}
	for _, c := range counts {
		g := group{c.State, c.Reason}
		if keep(c) && !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

// pending reports whether documents of c should be moving on by
// themselves: waiting for a stage, or held for MES or an internal error.
// Documents held for the patient's pairing (Reason.WaitsForPairing) and
// documents in review (waiting for a person) are not.
func pending(c Count) bool {
	switch c.State {
	case docbridge.Received, docbridge.Converted, docbridge.Matched:
		return true
	case docbridge.Held:
		return !c.Reason.WaitsForPairing()
	}
	return false
}

// waitingForPairing reports whether documents of c are held for the
// patient's pairing.
func waitingForPairing(c Count) bool {
	return c.State == docbridge.Held && c.Reason.WaitsForPairing()
}

// oldest returns the creation time (UTC) of the oldest document of the
// groups gs, zero when there is none. The oldest of a group is its first
// stored (lowest id; ids grow as documents are stored), read from the
// documents_state_reason index: one index probe per group.
func (s *Store) oldest(ctx context.Context, gs []group) (time.Time, error) {
	if len(gs) == 0 {
		return time.Time{}, nil
	}
	var firsts []string
	var args []any
	for _, g := range gs {
		firsts = append(firsts, `SELECT (SELECT created_at FROM documents WHERE state = ? AND reason = ? ORDER BY id LIMIT 1) AS c`)
		args = append(args, g.State, g.Reason)
	}
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MIN(c), 0) FROM (`+strings.Join(firsts, ` UNION ALL `)+`) AS firsts`, args...).Scan(&n)
	return fromNanos(n), err
}

// Ages are the creation times (UTC) of the oldest waiting documents; a
// zero time means there is none.
type Ages struct {
	// OldestPending is the oldest document that should be moving
	// (received, converted, matched, or held for a reason other than
	// waiting for the patient's pairing). It is what the stall alarm
	// watches: a lab whose only waiting documents belong to unpaired
	// patients is not stalled.
	OldestPending time.Time
	// OldestWaiting is the oldest document held for the patient's pairing
	// (Reason.WaitsForPairing).
	OldestWaiting time.Time
}

// AgesOf returns the Ages of the documents counts holds (as CountsByGroup
// returned them): one index probe per (state, reason) group, so that a
// dashboard or a scrape reads the counts once and the documents hardly at
// all.
func (s *Store) AgesOf(ctx context.Context, counts []Count) (Ages, error) {
	var a Ages
	var err error
	if a.OldestPending, err = s.oldest(ctx, groups(counts, pending)); err != nil {
		return a, fmt.Errorf("store: oldest pending document: %w", err)
	}
	if a.OldestWaiting, err = s.oldest(ctx, groups(counts, waitingForPairing)); err != nil {
		return a, fmt.Errorf("store: oldest document waiting for a pairing: %w", err)
	}
	return a, nil
}

// LastIntake returns when the most recently stored input was received
// (UTC), and whether there is any input: the input with the highest id,
// read from the primary key.
func (s *Store) LastIntake(ctx context.Context) (time.Time, bool, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE((SELECT received_at FROM inputs ORDER BY id DESC LIMIT 1), 0)`).Scan(&n)
	if err != nil {
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
