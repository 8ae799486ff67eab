package store

import (
	"context"
	"testing"

	"github.com/docbridge/docbridge"
)

// TestAppointmentVersionsNeverConflict checks that a new version of an
// appointment — even a second booking under the id of a delivered one —
// enters the pipeline converted, where a document would stop in review
// with version-conflict.
func TestAppointmentVersionsNeverConflict(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []docbridge.Kind{docbridge.KindDocument, docbridge.KindAppointment} {
		t.Run(kind.String(), func(t *testing.T) {
			s := openSQLiteTest(t, Options{})
			v1, v2 := newDoc("1.2.3^A1", "booked 10:00"), newDoc("1.2.3^A1", "booked 11:00")
			v1.Kind, v2.Kind = kind, kind
			_, first := converted(t, s, "first message", NewDocument{Doc: v1, State: docbridge.Converted})
			transition(t, s, Transition{ID: first[0].ID, From: docbridge.Converted, To: docbridge.Delivered, Actor: "deliver", MESID: "mes-1"})
			_, refs := converted(t, s, "second message", NewDocument{Doc: v2, State: docbridge.Converted})
			want := docbridge.Converted
			if kind == docbridge.KindDocument {
				want = docbridge.Review
			}
			if refs[0].State != want || refs[0].Existing {
				t.Errorf("second version: %+v, want a new row in %s", refs[0], want)
			}
			rows, err := s.Documents(ctx, Filter{UniqueID: "1.2.3^A1"})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.Doc.Kind != kind {
					t.Errorf("document %d: kind %q read back, want %q", r.ID, r.Doc.Kind, kind)
				}
			}
		})
	}
}
