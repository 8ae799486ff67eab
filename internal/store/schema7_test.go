package store

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
)

// TestMigrateTo7: a store written at schema version 6 (inputs unique on
// their bytes, documents on uniqueId and content) keeps its inputs,
// documents, conversions and events, with every reference intact; the same
// bytes without a sidecar are still a duplicate of the old input, and the
// same document recorded again is still the old row.
func TestMigrateTo7(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := context.Background()
		o := e.fresh(t)
		var eng engine = &sqliteEngine{}
		if o.Postgres != "" {
			eng = &pgEngine{url: o.Postgres}
		}
		old := &Store{dir: o.Dir, now: time.Now, eng: olderEngine{eng, 6}}
		if err := old.makeDirs(); err != nil {
			t.Fatal(err)
		}
		if err := old.eng.open(ctx, old); err != nil {
			t.Fatalf("open at version 6: %v", err)
		}
		d := newDoc("urn:oid:1.2.250.1.999.7", "old report")
		meta, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO inputs (intake, source, message_id, sha256, size, received_at, state, reason, message, updated_at, sidecar)
	VALUES ('drop', 'a.pdf', '', ?, 3, 1, 'converted', '', '', 1, ?)`, []any{hexSHA256([]byte("pdf")), []byte(`{"title":"x"}`)}},
			{`INSERT INTO inputs (intake, source, message_id, sha256, size, received_at, state, reason, message, updated_at)
	VALUES ('mllp', 'peer', 'M1', ?, 3, 1, 'converted', '', '', 1)`, []any{hexSHA256([]byte("msg"))}},
			{`INSERT INTO documents (input_id, unique_id, sha256, state, reason, message, attempts, next_attempt_at, pairing_id, mes_id, meta, created_at, updated_at)
	VALUES (2, ?, ?, 'delivered', '', '', 1, 1, 'p1', 'mes-1', ?, 1, 1)`, []any{d.UniqueID, d.SHA256, string(meta)}},
			{`INSERT INTO conversions (input_id, position, doc_id, existing) VALUES (2, 0, 1, 0)`, nil},
			{`INSERT INTO events (doc_id, at, from_state, to_state, reason, message, actor) VALUES (1, 1, '', 'converted', '', '', 'convert')`, nil},
		} {
			if _, err := old.w.Exec(q.sql, q.args...); err != nil {
				t.Fatalf("%s: %v", q.sql, err)
			}
		}
		old.Close()

		s := openTest(t, o)
		var v int
		if err := s.r.QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil || v != schemaVersion() {
			t.Errorf("schema version = %d, %v; want %d", v, err, schemaVersion())
		}
		if in, err := s.Input(ctx, 1); err != nil || string(in.Sidecar) != `{"title":"x"}` {
			t.Errorf("Input(1) = %+v, %v; want the old input with its sidecar", in, err)
		}
		if h, err := s.History(ctx, 1); err != nil || len(h) != 1 {
			t.Errorf("History(1) = %+v, %v; want the old event", h, err)
		}
		dup, err := acceptInput(ctx, s, envelope([]byte("msg")))
		if err != nil || !dup.Duplicate || dup.ID != 2 {
			t.Errorf("Accept(the old bytes) = %+v, %v; want a duplicate of input 2", dup, err)
		}
		_, refs := converted(t, s, "another message", NewDocument{Doc: d, State: docbridge.Converted})
		if !refs[0].Existing || refs[0].ID != 1 || refs[0].State != docbridge.Delivered {
			t.Errorf("the old document recorded again = %+v, want Existing 1, delivered", refs[0])
		}
		// New rows get ids after the old ones.
		if a := accept(t, s, []byte("new")); a.ID <= 3 {
			t.Errorf("a new input got id %d, want one after the old inputs' ids", a.ID)
		}
	})
}
