package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
)

// DocRow is one stored document version.
type DocRow struct {
	ID          int64
	InputID     int64 // the input that first produced this row
	UniqueID    string
	SHA256      string // hex SHA-256 of the content: OpenContent(SHA256)
	State       docbridge.State
	Reason      docbridge.Reason
	Message     string
	Attempts    int
	NextAttempt time.Time // UTC
	PairingID   string
	MESID       string
	Intake      string              // the intake its input came through
	CreatedAt   time.Time           // UTC
	UpdatedAt   time.Time           // UTC
	Doc         *docbridge.Document // metadata; Doc.Content is nil
}

const docCols = `id, input_id, unique_id, sha256, state, reason, message, attempts,
	next_attempt_at, pairing_id, mes_id, created_at, updated_at, meta,
	COALESCE((SELECT intake FROM inputs WHERE inputs.id = documents.input_id), '')`

// scanDoc reads one row of docCols.
func scanDoc(sc interface{ Scan(...any) error }) (DocRow, error) {
	var d DocRow
	var next, created, updated int64
	var meta string
	if err := sc.Scan(&d.ID, &d.InputID, &d.UniqueID, &d.SHA256, &d.State, &d.Reason, &d.Message,
		&d.Attempts, &next, &d.PairingID, &d.MESID, &created, &updated, &meta, &d.Intake); err != nil {
		return DocRow{}, err
	}
	d.NextAttempt, d.CreatedAt, d.UpdatedAt = fromNanos(next), fromNanos(created), fromNanos(updated)
	d.Doc = new(docbridge.Document)
	if err := json.Unmarshal([]byte(meta), d.Doc); err != nil {
		return DocRow{}, fmt.Errorf("decode metadata of document %d: %w", d.ID, err)
	}
	return d, nil
}

// queryDocs runs a query selecting docCols and reads every row.
func queryDocs(ctx context.Context, q querier, query string, args ...any) ([]DocRow, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DocRow
	for rows.Next() {
		d, err := scanDoc(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Document returns document row id, or an error wrapping ErrNotFound.
func (s *Store) Document(ctx context.Context, id int64) (DocRow, error) {
	d, err := scanDoc(s.r.QueryRowContext(ctx, `SELECT `+docCols+` FROM documents WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return DocRow{}, fmt.Errorf("store: document %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return DocRow{}, fmt.Errorf("store: read document %d: %w", id, err)
	}
	return d, nil
}

// dueQuery selects the documents in a state due at a time, in due order.
const dueQuery = `SELECT ` + docCols + ` FROM documents
	WHERE state = ? AND next_attempt_at <= ?
	ORDER BY next_attempt_at, id`

// Due returns up to limit documents in state whose next attempt is at or
// before now, by next attempt then id (limit <= 0: all). It only reads:
// two workers calling Due at once get the same rows. Workers that must not
// take the same document use Claim.
func (s *Store) Due(ctx context.Context, state docbridge.State, now time.Time, limit int) ([]DocRow, error) {
	q, args := dueQuery, []any{state, nanos(now)}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	out, err := queryDocs(ctx, s.r, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list due %s documents: %w", state, err)
	}
	return out, nil
}

// Claim is Due with a lease: in one transaction it selects up to limit
// documents in state due at now (limit <= 0: all) and moves their next
// attempt to now+lease, so that no other Claim (in this or another process)
// returns them before the lease ends. The returned rows carry the new
// NextAttempt. The worker then calls Transition, which sets the next
// attempt afresh; if it dies instead, the documents are due again when the
// lease ends. Claim records no event and changes no state. On PostgreSQL,
// documents another transaction is claiming at that moment are skipped,
// not waited for (SELECT … FOR UPDATE SKIP LOCKED).
func (s *Store) Claim(ctx context.Context, state docbridge.State, now time.Time, lease time.Duration, limit int) ([]DocRow, error) {
	if lease <= 0 {
		return nil, fmt.Errorf("store: claim %s documents: lease %v is not positive", state, lease)
	}
	q, args := dueQuery, []any{state, nanos(now)}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	until := nanos(now.Add(lease))
	var out []DocRow
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if out, err = queryDocs(ctx, tx, q+s.eng.skipLocked(), args...); err != nil || len(out) == 0 {
			return err
		}
		ids := make([]int64, len(out))
		for i := range out {
			ids[i] = out[i].ID
			out[i].NextAttempt = fromNanos(until)
		}
		return s.eng.lease(ctx, tx, "documents", "next_attempt_at", until, ids)
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim %s documents: %w", state, err)
	}
	return out, nil
}

// Filter selects documents: for listings (the CLI, the console) and for
// operator actions (internal/operator). Zero fields select anything; the
// fields set are ANDed, all in SQL.
type Filter struct {
	IDs      []int64 // empty: any; else only these document ids
	State    docbridge.State
	Reason   docbridge.Reason
	InputID  int64     // 0: any; else the documents RecordConversion recorded for this input, Existing ones included
	UniqueID string    // empty: any; else every version with this uniqueId
	Intake   string    // empty: any; else the documents whose input came through this intake
	Since    time.Time // zero: any; else created at or after
	Until    time.Time // zero: any; else created before
	Newest   bool      // newest (highest id) first instead of oldest first
	// Before, when not 0, selects only documents with a lower id: with
	// Newest, the next page after a page whose last document had this id
	// (keyset pagination; newer documents arriving do not shift the pages).
	Before int64
	Limit  int // 0: no limit
}

// Documents lists the documents f selects, oldest (lowest id) first, or
// newest first with f.Newest, each with its input's intake. Its cost
// follows the page, not the store: creation dates bound the ids read
// (firstIDAt), so a date range is an index range; and a newest-first
// search by state or reason reads, for each (state, reason) group of the
// kept counts it selects, the newest documents from the
// documents_state_reason index (at most f.Limit each, below f.Before) and
// merges them.
func (s *Store) Documents(ctx context.Context, f Filter) ([]DocRow, error) {
	q, args, err := s.documentsQuery(ctx, f)
	if err != nil || q == "" {
		return nil, err
	}
	out, err := queryDocs(ctx, s.r, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list documents: %w", err)
	}
	return out, nil
}

// documentsQuery is the query Documents runs for f, and its arguments; ""
// when f selects nothing without reading a row.
func (s *Store) documentsQuery(ctx context.Context, f Filter) (string, []any, error) {
	var where []string
	var args []any
	add := func(cond string, arg ...any) { where, args = append(where, cond), append(args, arg...) }
	if len(f.IDs) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(f.IDs)), ", ")
		ids := make([]any, len(f.IDs))
		for i, id := range f.IDs {
			ids[i] = id
		}
		add(`id IN (`+marks+`)`, ids...)
	}
	if f.InputID != 0 {
		add(`id IN (SELECT doc_id FROM conversions WHERE input_id = ?)`, f.InputID)
	}
	if f.UniqueID != "" {
		add(`unique_id = ?`, f.UniqueID)
	}
	if f.Intake != "" {
		add(`input_id IN (SELECT id FROM inputs WHERE intake = ?)`, f.Intake)
	}
	for _, b := range []struct {
		t        time.Time
		cmp, idc string
	}{{f.Since, `created_at >= ?`, `id >= ?`}, {f.Until, `created_at < ?`, `id < ?`}} {
		if b.t.IsZero() {
			continue
		}
		id, err := s.firstIDAt(ctx, b.t)
		if err != nil {
			return "", nil, fmt.Errorf("store: list documents: %w", err)
		}
		add(b.cmp, nanos(b.t))
		add(b.idc, id)
	}
	if f.Before != 0 {
		add(`id < ?`, f.Before)
	}
	order := ` ORDER BY id`
	if f.Newest {
		order += ` DESC`
	}
	limit := ""
	if f.Limit > 0 {
		limit = fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	q := `SELECT ` + docCols + ` FROM documents`
	switch {
	case f.Newest && (f.State != "" || f.Reason != "") && len(f.IDs) == 0 && f.InputID == 0 && f.UniqueID == "":
		counts, err := s.CountsByGroup(ctx)
		if err != nil {
			return "", nil, fmt.Errorf("store: list documents: %w", err)
		}
		gs := groups(counts, func(c Count) bool {
			return (f.State == "" || c.State == f.State) && (f.Reason == "" || c.Reason == f.Reason) &&
				(f.Intake == "" || c.Intake == f.Intake)
		})
		if len(gs) == 0 {
			return "", nil, nil
		}
		var parts []string
		var all []any
		for i, g := range gs {
			cond := append([]string{`state = ?`, `reason = ?`}, where...)
			parts = append(parts, fmt.Sprintf(`SELECT * FROM (%s WHERE %s%s%s) AS g%d`,
				q, strings.Join(cond, ` AND `), order, limit, i))
			all = append(append(all, g.State, g.Reason), args...)
		}
		q, args = `SELECT * FROM (`+strings.Join(parts, ` UNION ALL `)+`) AS u`, all
	default:
		// Ids, an input or a uniqueId select a few rows; the state and
		// reason then only filter them (an expression, not the column,
		// keeps SQLite from walking a state's index instead: a state may
		// hold nearly every document, which its planner, without
		// statistics, cannot know; PostgreSQL's knows).
		col := func(c string) string {
			if len(f.IDs) > 0 || f.InputID != 0 || f.UniqueID != "" {
				return c + ` || ''`
			}
			return c
		}
		if f.State != "" {
			add(col(`state`)+` = ?`, f.State)
		}
		if f.Reason != "" {
			add(col(`reason`)+` = ?`, f.Reason)
		}
		if len(where) > 0 {
			q += ` WHERE ` + strings.Join(where, ` AND `)
		}
	}
	return q + order + limit, args, nil
}

// Counts returns the number of documents per state. States without
// documents are absent (their count reads as 0).
func (s *Store) Counts(ctx context.Context) (map[docbridge.State]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT state, COUNT(*) FROM documents GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("store: count documents: %w", err)
	}
	defer rows.Close()
	out := make(map[docbridge.State]int)
	for rows.Next() {
		var st docbridge.State
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("store: count documents: %w", err)
		}
		out[st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: count documents: %w", err)
	}
	return out, nil
}
