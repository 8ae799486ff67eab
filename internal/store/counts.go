package store

import (
	"context"
	"fmt"

	"github.com/docbridge/docbridge"
)

// The number of documents per state, reason, intake and kind is kept in
// document_counts by triggers (schema step 10), in the transaction of
// every insert, change and delete of a document row: whichever path writes
// a document, the counts move with it, and reading them costs the number
// of groups, not the number of documents. A group whose documents all
// moved on keeps a row with n = 0; readers skip it.

// Count is the number of documents in one (state, reason, intake, kind)
// group.
type Count struct {
	State  docbridge.State
	Reason docbridge.Reason
	Intake string // the intake of the input that first produced the document
	Kind   docbridge.Kind
	N      int
}

// CountsByGroup returns the number of documents per state, reason, intake
// and kind, ordered by those four, as kept in the same transactions as the
// documents' changes. Empty groups are absent. It reads the kept counts
// only: its cost does not grow with the number of documents.
func (s *Store) CountsByGroup(ctx context.Context) ([]Count, error) {
	return readCounts(ctx, s.r, `SELECT state, reason, intake, kind, n FROM document_counts
	WHERE n <> 0 ORDER BY state, reason, intake, kind`)
}

// RecountByGroup counts the documents one by one, as CountsByGroup would
// return them: a full scan of the documents and their inputs, for checking
// the kept counts (tests, benchmarks), never for a page or a scrape.
func (s *Store) RecountByGroup(ctx context.Context) ([]Count, error) {
	return readCounts(ctx, s.r, `SELECT d.state, d.reason, i.intake, d.kind, COUNT(*)
	FROM documents d JOIN inputs i ON i.id = d.input_id
	GROUP BY d.state, d.reason, i.intake, d.kind ORDER BY d.state, d.reason, i.intake, d.kind`)
}

// readCounts runs query, which selects state, reason, intake, kind and a
// count, and reads its rows.
func readCounts(ctx context.Context, q querier, query string) ([]Count, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("store: count documents by group: %w", err)
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.State, &c.Reason, &c.Intake, &c.Kind, &c.N); err != nil {
			return nil, fmt.Errorf("store: count documents by group: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: count documents by group: %w", err)
	}
	return out, nil
}

// Intakes returns the names of the intakes that have documents, sorted,
// from the kept counts.
func (s *Store) Intakes(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT intake FROM document_counts WHERE n <> 0 ORDER BY intake`)
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
