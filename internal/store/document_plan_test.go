package store

import (
	"context"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
)

// TestDocumentsPlanFewRowsFirst: a list by uniqueId, ids or input reads
// those few rows by their own index, and the state or reason only filters
// them. SQLite has no statistics, so without care it walks a state's
// index instead: at a million documents, the delivered versions of one
// uniqueId took a second (BENCHMARKS.md).
func TestDocumentsPlanFewRowsFirst(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{Dir: t.TempDir()})
	tests := []struct {
		f    Filter
		want string // the index the plan must use
	}{
		{Filter{UniqueID: "urn:oid:1.1", State: docbridge.Delivered}, "documents_version"},
		{Filter{UniqueID: "urn:oid:1.1", State: docbridge.Held, Reason: docbridge.NotPaired}, "documents_version"},
		{Filter{InputID: 7, State: docbridge.Converted}, "conversions"},
		{Filter{IDs: []int64{1, 2}, State: docbridge.Delivered}, "PRIMARY KEY"},
	}
	for _, tt := range tests {
		q, args, err := s.documentsQuery(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.r.QueryContext(ctx, `EXPLAIN QUERY PLAN `+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		if !strings.Contains(p, tt.want) || strings.Contains(p, "documents_state_reason") || strings.Contains(p, "documents_due") {
			t.Errorf("Documents(%+v) plan: %s; want %s, no state index", tt.f, p, tt.want)
		}
	}
}
