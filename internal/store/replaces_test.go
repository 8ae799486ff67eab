package store

import (
	"context"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
)

// TestReplacing: Replacing finds the versions whose metadata replaces a
// uniqueId, and only those.
func TestReplacing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		s := e.open(t, Options{})
		v2 := newDoc("urn:oid:1.2.v2", "version 2")
		v2.Action, v2.Replaces = docbridge.Replace, "urn:oid:1.2.v1"
		other := newDoc("urn:oid:1.2.other", "other")
		other.Replaces = "urn:oid:1.2.v1" // not an action replace
		_, refs := converted(t, s, "input",
			NewDocument{Doc: newDoc("urn:oid:1.2.v1", "version 1"), State: docbridge.Converted},
			NewDocument{Doc: v2, State: docbridge.Converted},
			NewDocument{Doc: other, State: docbridge.Converted})
		got, err := s.Replacing(context.Background(), "urn:oid:1.2.v1")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != refs[1].ID {
			t.Errorf("Replacing = %v, want [%d]", dueIDs(got), refs[1].ID)
		}
	})
}

// TestReplacingUsesItsIndex: the query behind Replacing must not scan every
// document (it runs once per delivery).
func TestReplacingUsesItsIndex(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		s := e.open(t, Options{})
		ctx := context.Background()
		query := `SELECT id FROM documents WHERE ` + s.eng.replacingWhere() + ` ORDER BY id`
		var plan []string
		if e.name == sqliteT.name {
			rows, err := s.r.QueryContext(ctx, `EXPLAIN QUERY PLAN `+query, "urn:oid:1.2")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
		} else {
			// An empty table is cheaper to scan: ask the planner for its
			// plan without sequential scans, in a transaction of its own.
			tx, err := s.r.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
				t.Fatal(err)
			}
			rows, err := tx.QueryContext(ctx, `EXPLAIN `+query, "urn:oid:1.2")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, line)
			}
		}
		if got := strings.Join(plan, "; "); !strings.Contains(got, "documents_replaces") {
			t.Errorf("query plan = %q, want it to use documents_replaces", got)
		}
	})
}
