package store

import (
	"context"
	"strings"
	"testing"
)

// TestReplacingUsesItsIndex: the query behind Replacing must not scan every
// document (it runs once per delivery).
func TestReplacingUsesItsIndex(t *testing.T) {
	s := openSQLiteTest(t, Options{Dir: t.TempDir()})
	rows, err := s.r.QueryContext(context.Background(), `EXPLAIN QUERY PLAN SELECT id FROM documents
		WHERE json_extract(meta, '$.action') = 'replace' AND json_extract(meta, '$.replaces') = ? ORDER BY id`, "urn:oid:1.2")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if got := strings.Join(plan, "; "); !strings.Contains(got, "documents_replaces") {
		t.Errorf("query plan = %q, want it to use documents_replaces", got)
	}
}
