package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
)

// Search selects documents for the console's list. Zero fields select
// anything.
type Search struct {
	State  docbridge.State
	Reason docbridge.Reason
	Intake string    // the intake of the document's input
	Since  time.Time // created at or after
	Until  time.Time // created before
	// Before, when not 0, selects only documents with a lower id: the
	// next page after a page whose last document had this id (keyset
	// pagination; newer documents arriving do not shift the pages).
	Before int64
	Limit  int // 0: no limit
}

// Listed is a document row with the intake it came through.
type Listed struct {
	DocRow
	Intake string
}

// SearchDocuments lists the documents q selects, newest (highest id)
// first, with their input's intake. A search by state or reason reads, for
// each (state, reason) group of the kept counts that it selects, the
// newest documents from the documents_state_reason index (at most q.Limit
// each, below q.Before) and merges them: a page costs about its size per
// group, however many documents the store holds. Any other search walks
// the documents from the newest down until it has q.Limit of them.
// Creation dates also bound the ids read (firstIDAt), so a date range is
// an index range, not a walk over every newer document.
func (s *Store) SearchDocuments(ctx context.Context, q Search) ([]Listed, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) { where, args = append(where, cond), append(args, arg) }
	if q.Intake != "" {
		add(`EXISTS (SELECT 1 FROM inputs i WHERE i.id = documents.input_id AND i.intake = ?)`, q.Intake)
	}
	for _, b := range []struct {
		t        time.Time
		cmp, idc string
	}{{q.Since, `created_at >= ?`, `id >= ?`}, {q.Until, `created_at < ?`, `id < ?`}} {
		if b.t.IsZero() {
			continue
		}
		id, err := s.firstIDAt(ctx, b.t)
		if err != nil {
			return nil, fmt.Errorf("store: search documents: %w", err)
		}
		add(b.cmp, nanos(b.t))
		add(b.idc, id)
	}
	if q.Before != 0 {
		add(`id < ?`, q.Before)
	}
	limit := ""
	if q.Limit > 0 {
		limit = fmt.Sprintf(` LIMIT %d`, q.Limit)
	}
	query := `SELECT ` + docCols + `, (SELECT intake FROM inputs i WHERE i.id = documents.input_id) AS intake FROM documents`
	if q.State != "" || q.Reason != "" {
		counts, err := s.CountsByGroup(ctx)
		if err != nil {
			return nil, fmt.Errorf("store: search documents: %w", err)
		}
		gs := groups(counts, func(c Count) bool {
			return (q.State == "" || c.State == q.State) && (q.Reason == "" || c.Reason == q.Reason) &&
				(q.Intake == "" || c.Intake == q.Intake)
		})
		if len(gs) == 0 {
			return nil, nil
		}
		var parts []string
		var all []any
		for i, g := range gs {
			cond := append([]string{`state = ?`, `reason = ?`}, where...)
			parts = append(parts, fmt.Sprintf(`SELECT * FROM (%s WHERE %s ORDER BY id DESC%s) AS g%d`,
				query, strings.Join(cond, ` AND `), limit, i))
			all = append(append(all, g.State, g.Reason), args...)
		}
		query, args = strings.Join(parts, ` UNION ALL `), all
	} else if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	rows, err := s.r.QueryContext(ctx, query+` ORDER BY id DESC`+limit, args...)
	if err != nil {
		return nil, fmt.Errorf("store: search documents: %w", err)
	}
	defer rows.Close()
	var out []Listed
	for rows.Next() {
		var l Listed
		if l.DocRow, err = scanDoc(withIntake{rows, &l.Intake}); err != nil {
			return nil, fmt.Errorf("store: search documents: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: search documents: %w", err)
	}
	return out, nil
}

// withIntake scans a row of docCols followed by the input's intake.
type withIntake struct {
	rows   *sql.Rows
	intake *string
}

func (w withIntake) Scan(dest ...any) error { return w.rows.Scan(append(dest, w.intake)...) }

// firstIDAt returns the lowest id that a document created at or after t
// has or would have: documents are stored in the order they are created,
// so creation times do not decrease as ids grow, and a binary search over
// the primary key finds the bound in a few dozen index probes. With
// several instances whose clocks differ, a document created within that
// difference of t may fall on the other side of the bound.
func (s *Store) firstIDAt(ctx context.Context, t time.Time) (int64, error) {
	var lo, hi int64 = 1, 1
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM documents`).Scan(&hi); err != nil {
		return 0, fmt.Errorf("first document at %s: %w", t.Format(time.RFC3339), err)
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		// created is the creation time of the first document at or after
		// mid; none counts as after t.
		var created int64
		err := s.r.QueryRowContext(ctx, `SELECT COALESCE((SELECT created_at FROM documents WHERE id >= ? ORDER BY id LIMIT 1), ?)`,
			mid, int64(math.MaxInt64)).Scan(&created)
		if err != nil {
			return 0, fmt.Errorf("first document at %s: %w", t.Format(time.RFC3339), err)
		}
		if created >= nanos(t) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, nil
}
