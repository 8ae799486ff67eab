package store

import (
	"context"
	"testing"

	"github.com/docbridge/docbridge"
)

// TestDocumentsByMESID: the versions MES gave an id are found by it, and
// only they; an empty id finds nothing.
func TestDocumentsByMESID(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		s := e.open(t, Options{})
		ctx := context.Background()
		_, refs := converted(t, s, "input",
			NewDocument{Doc: newDoc("urn:oid:1.3.v1", "version 1"), State: docbridge.Converted},
			NewDocument{Doc: newDoc("urn:oid:1.3.other", "other"), State: docbridge.Converted})
		if err := s.Transition(ctx, Transition{ID: refs[0].ID, From: docbridge.Converted, To: docbridge.Delivered, MESID: "dr-0001", Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			mesID string
			want  []int64
		}{{"dr-0001", []int64{refs[0].ID}}, {"dr-0002", nil}, {"", nil}} {
			got, err := s.DocumentsByMESID(ctx, tt.mesID)
			if err != nil {
				t.Fatal(err)
			}
			if ids := dueIDs(got); len(ids) != len(tt.want) || len(ids) == 1 && ids[0] != tt.want[0] {
				t.Errorf("DocumentsByMESID(%q) = %v, want %v", tt.mesID, ids, tt.want)
			}
		}
	})
}
