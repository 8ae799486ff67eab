package store

import (
	"context"
	"testing"
	"time"

	"github.com/docbridge/docbridge/internal/audit"
)

// TestMigrateTo10: a store written at schema version 9 — an input whose
// bytes are a content file, one audit record appended the old way (head
// and outbox moved by hand) — keeps reading its content; its chain
// verifies, and records appended after the migration extend it, move the
// head and reach the outbox through the audit_appended trigger.
func TestMigrateTo10(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := context.Background()
		o := e.fresh(t)
		var eng engine = &sqliteEngine{}
		if o.Postgres != "" {
			eng = &pgEngine{url: o.Postgres}
		}
		old := &Store{dir: o.Dir, now: time.Now, eng: olderEngine{eng, 9}}
		if err := old.makeDirs(); err != nil {
			t.Fatal(err)
		}
		if err := old.eng.open(ctx, old); err != nil {
			t.Fatalf("open at version 9: %v", err)
		}
		body := []byte("<ClinicalDocument/> accepted at schema 9")
		sha := hexSHA256(body)
		dir, err := old.putBytes(ctx, body, sha)
		if err != nil {
			t.Fatal(err)
		}
		if err := syncDir(dir); err != nil {
			t.Fatal(err)
		}
		r := audit.Record{Kind: audit.InputAccepted, Actor: "intake:drop", InputID: 1, At: time.Unix(1, 0).UTC()}
		audit.Seal(&r, 0, "0000000000000000000000000000000000000000000000000000000000000000")
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO inputs (intake, source, message_id, sha256, size, received_at, state, reason, message, updated_at)
	VALUES ('drop', 'a.xml', '', ?, ?, 1, 'received', '', '', 1)`, []any{sha, len(body)}},
			{`INSERT INTO audit_targets (name, added_at) VALUES ('siem', 1)`, nil},
			{`INSERT INTO audit (` + auditCols + `) VALUES (1, ?, ?, ?, 0, 1, '', '', '', '', '', '', '', 0, '', 0, 0, ?, ?)`,
				[]any{nanos(r.At), r.Kind, r.Actor, r.PrevHash, r.Hash}},
			{`UPDATE audit_head SET seq = 1, hash = ? WHERE id = 1`, []any{r.Hash}},
			{`INSERT INTO audit_outbox (target, seq) VALUES ('siem', 1)`, nil},
		} {
			if _, err := old.w.Exec(q.sql, q.args...); err != nil {
				t.Fatalf("%s: %v", q.sql, err)
			}
		}
		old.Close()

		s := openTest(t, o)
		checkReadsBack(t, s, sha, body)
		if _, err := s.VerifyAudit(ctx, nil); err != nil {
			t.Fatalf("VerifyAudit after the migration: %v", err)
		}
		a := accept(t, s, []byte("accepted at schema 10"))
		if !isInline(t, s, a.SHA256) {
			t.Error("an input accepted after the migration is not inline")
		}
		if _, err := s.VerifyAudit(ctx, nil); err != nil {
			t.Fatalf("VerifyAudit after an append: %v", err)
		}
		var head int64
		if err := s.r.QueryRow(`SELECT seq FROM audit_head WHERE id = 1`).Scan(&head); err != nil || head != 2 {
			t.Errorf("audit head = %d, %v; want 2 (the old record and the new one)", head, err)
		}
		if n, err := s.OutboxLen(ctx, "siem"); err != nil || n != 2 {
			t.Errorf("OutboxLen(siem) = %d, %v; want 2", n, err)
		}
	})
}
