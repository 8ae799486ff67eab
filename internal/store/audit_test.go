package store

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
)

// kinds returns the kinds of records, in order.
func kinds(rs []audit.Record) []audit.Kind {
	out := make([]audit.Kind, len(rs))
	for i, r := range rs {
		out[i] = r.Kind
	}
	return out
}

// allRecords reads the whole audit table.
func allRecords(t *testing.T, s *Store) []audit.Record {
	t.Helper()
	var out []audit.Record
	for r, err := range s.AuditRecords(context.Background()) {
		if err != nil {
			t.Fatalf("AuditRecords: %v", err)
		}
		out = append(out, r)
	}
	return out
}

// spine runs one document through the spine with every kind of change and
// returns its id.
func spine(t *testing.T, s *Store) int64 {
	t.Helper()
	ctx := context.Background()
	if err := s.PutPairing(audit.WithActor(ctx, "user:ana"), docbridge.Pairing{ID: "p1", AccessToken: "secret"}); err != nil {
		t.Fatal(err)
	}
	id := oneDoc(t, s, "urn:oid:1.2.3.4")
	transition(t, s, Transition{ID: id, From: docbridge.Converted, To: docbridge.Matched, Actor: "match", PairingID: "p1"})
	transition(t, s, Transition{ID: id, From: docbridge.Matched, To: docbridge.Held, Actor: "deliver", Attempted: true,
		Reason: docbridge.MESUnavailable, Message: "MES is unavailable (HTTP 503)", Exchange: &audit.Exchange{}})
	transition(t, s, Transition{ID: id, From: docbridge.Held, To: docbridge.Delivered, Actor: "deliver", Attempted: true,
		MESID: "DR-9", Exchange: &audit.Exchange{RequestID: "req-2", Status: 201, MESID: "DR-9"}})
	if err := s.PutPairing(audit.WithActor(ctx, "deliver"), docbridge.Pairing{ID: "p1", AccessToken: "secret", Revoked: true}); err != nil {
		t.Fatal(err)
	}
	a := accept(t, s, []byte("not a document"))
	if err := s.FailInput(ctx, a.ID, docbridge.Malformed, "not XML"); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordAdmin(audit.WithActor(ctx, "user:ana"), id, "looked at the timeline"); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestAuditTrail(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := context.Background()
		s := e.open(t, Options{Now: newClock().Now})
		id := spine(t, s)
		rs := allRecords(t, s)
		want := []audit.Kind{audit.PairingCreated, audit.InputAccepted, audit.DocumentCreated, audit.InputConverted,
			audit.DocumentTransition, audit.MESExchange, audit.DocumentTransition, audit.MESExchange, audit.DocumentTransition,
			audit.PairingRevoked, audit.InputAccepted, audit.InputFailed, audit.Admin}
		if diff := cmp.Diff(want, kinds(rs)); diff != "" {
			t.Errorf("record kinds (-want +got):\n%s", diff)
		}
		if got, want := rs[7].Exchange, (&audit.Exchange{RequestID: "req-2", Status: 201, MESID: "DR-9"}); !cmp.Equal(got, want) {
			t.Errorf("exchange = %+v, want %+v", got, want)
		}
		if got, want := rs[0].Actor, "user:ana"; got != want {
			t.Errorf("pairing actor = %q, want %q", got, want)
		}
		for _, r := range rs {
			if r.Kind == audit.PairingCreated && r.Message != "" {
				t.Errorf("pairing record carries a message %q", r.Message)
			}
		}
		res, err := s.VerifyAudit(ctx, nil)
		if err != nil {
			t.Fatalf("VerifyAudit: %v", err)
		}
		if got, want := res.Records, int64(len(want)); got != want {
			t.Errorf("verified %d records, want %d", got, want)
		}
		tl, err := s.AuditTimeline(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		wantTL := []audit.Kind{audit.InputAccepted, audit.DocumentCreated, audit.InputConverted, audit.DocumentTransition,
			audit.MESExchange, audit.DocumentTransition, audit.MESExchange, audit.DocumentTransition, audit.Admin}
		if diff := cmp.Diff(wantTL, kinds(tl)); diff != "" {
			t.Errorf("timeline kinds (-want +got):\n%s", diff)
		}
		if _, err := s.AuditTimeline(ctx, 999); !errors.Is(err, ErrNotFound) {
			t.Errorf("AuditTimeline(999) error = %v, want ErrNotFound", err)
		}
	})
}

// TestAuditSameTransaction: a change that is refused writes no record, and
// the same bytes accepted twice are one record.
func TestAuditSameTransaction(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := context.Background()
		s := e.open(t, Options{})
		id := oneDoc(t, s, "urn:oid:1.2.3.5")
		n := len(allRecords(t, s))
		err := s.Transition(ctx, Transition{ID: id, From: docbridge.Matched, To: docbridge.Delivered, Actor: "deliver",
			Exchange: &audit.Exchange{Status: 201}})
		if err != ErrConflict {
			t.Fatalf("Transition from the wrong state = %v, want ErrConflict", err)
		}
		accept(t, s, []byte("input of urn:oid:1.2.3.5"))
		if got := len(allRecords(t, s)); got != n {
			t.Errorf("%d records after a refused transition and a duplicate input, want %d", got, n)
		}
	})
}

// tamperSQL changes the store's database directly, as an attacker with
// access to the database would, through the store's own write pool.
func tamperSQL(t *testing.T, s *Store, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := s.w.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// shiftFrom makes room at seq n by moving seq n and later one up.
func shiftFrom(n string) []string {
	return []string{
		`UPDATE audit SET seq = -seq - 1 WHERE seq >= ` + n,
		`UPDATE audit SET seq = -seq WHERE seq < 0`,
	}
}

func TestAuditVerifyTampered(t *testing.T) {
	forged := audit.Record{At: time.Date(2026, 3, 29, 2, 0, 0, 0, time.UTC), Kind: audit.Admin, Actor: "user:eve", Message: "forged"}
	tests := []struct {
		name    string
		tamper  func(t *testing.T, rs []audit.Record) []string
		problem audit.Problem
		seq     int64
	}{
		{"edited", func(*testing.T, []audit.Record) []string {
			return []string{`UPDATE audit SET message = 'all fine' WHERE seq = 5`}
		}, audit.Modified, 5},
		{"edited actor", func(*testing.T, []audit.Record) []string {
			return []string{`UPDATE audit SET actor = 'user:eve' WHERE seq = 9`}
		}, audit.Modified, 9},
		{"edited exchange status", func(*testing.T, []audit.Record) []string {
			return []string{`UPDATE audit SET http_status = 200 WHERE seq = 8`}
		}, audit.Modified, 8},
		{"deleted", func(*testing.T, []audit.Record) []string {
			return []string{`DELETE FROM audit WHERE seq = 5`}
		}, audit.Deleted, 5},
		{"deleted the last", func(*testing.T, []audit.Record) []string {
			return []string{`DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)`}
		}, audit.Deleted, 13},
		{"inserted a copy", func(*testing.T, []audit.Record) []string {
			return append(shiftFrom("5"), `INSERT INTO audit SELECT 5, at, kind, actor, doc_id, input_id, unique_id, pairing_id,
			from_state, to_state, reason, message, request_id, http_status, mes_id, exchange, archived, prev_hash, hash
			FROM audit WHERE seq = 3`)
		}, audit.Inserted, 5},
		{"inserted a forged record", func(t *testing.T, rs []audit.Record) []string {
			f := forged
			audit.Seal(&f, rs[3].Seq, rs[3].Hash)
			return append(shiftFrom("5"), `INSERT INTO audit (`+auditCols+`) VALUES (5, `+itoa(f.At.UnixNano())+
				`, 'admin', 'user:eve', 0, 0, '', '', '', '', '', 'forged', '', 0, '', 0, 0, '`+f.PrevHash+`', '`+f.Hash+`')`)
		}, audit.Inserted, 5},
		{"reordered", func(*testing.T, []audit.Record) []string {
			return []string{`UPDATE audit SET seq = -1 WHERE seq = 5`, `UPDATE audit SET seq = 5 WHERE seq = 6`, `UPDATE audit SET seq = 6 WHERE seq = -1`}
		}, audit.Reordered, 5},
		{"reordered by time", func(*testing.T, []audit.Record) []string {
			return []string{`UPDATE audit SET seq = -1 WHERE seq = 10`, `UPDATE audit SET seq = 10 WHERE seq = 11`, `UPDATE audit SET seq = 11 WHERE seq = -1`}
		}, audit.Reordered, 10},
	}
	forEachEngine(t, func(t *testing.T, e testEngine) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := e.open(t, Options{Now: newClock().Now})
				spine(t, s)
				rs := allRecords(t, s)
				if _, err := s.VerifyAudit(context.Background(), nil); err != nil {
					t.Fatalf("VerifyAudit before tampering: %v", err)
				}
				tamperSQL(t, s, tt.tamper(t, rs)...)
				_, err := s.VerifyAudit(context.Background(), nil)
				var b *audit.Break
				if !errors.As(err, &b) {
					t.Fatalf("VerifyAudit = %v, want a *audit.Break", err)
				}
				if b.Problem != tt.problem || b.Seq != tt.seq {
					t.Errorf("VerifyAudit: %s at %d (%s), want %s at %d", b.Problem, b.Seq, b.Msg, tt.problem, tt.seq)
				}
			})
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
