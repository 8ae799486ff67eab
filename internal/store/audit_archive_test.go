package store

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
)

// toBuffer returns an ArchiveWriter into buf.
func toBuffer(buf *bytes.Buffer) ArchiveWriter {
	return func(h audit.ArchiveHeader, records iter.Seq2[audit.Record, error]) error {
		return audit.WriteArchive(buf, h, records)
	}
}

// adminRecords appends n admin records, one per minute of clk.
func adminRecords(t *testing.T, s *Store, clk *clock, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		clk.Advance(time.Minute)
		if err := s.RecordAdmin(context.Background(), 0, "tick"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuditArchive(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := audit.WithActor(context.Background(), "user:ana")
		clk := newClock()
		s := e.open(t, Options{Now: clk.Now})
		adminRecords(t, s, clk, 10) // records 1..10
		cut1 := clk.Now().Add(-4*time.Minute + time.Second)

		var a1 bytes.Buffer
		h1, err := s.ArchiveAudit(ctx, cut1, toBuffer(&a1))
		if err != nil {
			t.Fatalf("ArchiveAudit: %v", err)
		}
		if got, want := [3]int64{h1.First, h1.Last, h1.Count}, [3]int64{1, 6, 6}; got != want {
			t.Errorf("first, last, count = %v, want %v", got, want)
		}
		// The table: a checkpoint for 6, records 7..10, the archived record 11.
		rs := allRecords(t, s)
		if got, want := len(rs), 6; got != want {
			t.Fatalf("%d rows after archiving, want %d", got, want)
		}
		if cp := rs[0]; cp.Kind != audit.Checkpoint || cp.Seq != 6 || cp.Hash != h1.LastHash || cp.Archived != 6 {
			t.Errorf("first row = %+v, want a checkpoint for record 6 with its hash and 6 archived", cp)
		}
		if last := rs[len(rs)-1]; last.Kind != audit.Archived || last.Actor != "user:ana" {
			t.Errorf("last record = %+v, want the archive recorded by user:ana", last)
		}
		if _, err := s.VerifyAudit(ctx, nil); err != nil {
			t.Errorf("VerifyAudit after archiving: %v", err)
		}
		_, r1, err := audit.VerifyArchive(bytes.NewReader(a1.Bytes()))
		if err != nil {
			t.Fatalf("VerifyArchive: %v", err)
		}

		// A second archive continues the first; the table continues the second.
		adminRecords(t, s, clk, 3)
		var a2 bytes.Buffer
		h2, err := s.ArchiveAudit(ctx, clk.Now().Add(time.Second), toBuffer(&a2))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := h2.First, int64(7); got != want {
			t.Errorf("second archive starts at %d, want %d", got, want)
		}
		if got, want := h2.Prev, h1.LastHash; got != want {
			t.Errorf("second archive links to %s, want %s", got, want)
		}
		_, r2, err := audit.VerifyArchive(bytes.NewReader(a2.Bytes()))
		if err != nil {
			t.Fatalf("VerifyArchive of the second: %v", err)
		}
		if r2.From != r1.Last {
			t.Errorf("second archive starts from %+v, the first ends at %+v", r2.From, r1.Last)
		}
		if _, err := s.VerifyAudit(ctx, &r2.Last); err != nil {
			t.Errorf("VerifyAudit from the second archive: %v", err)
		}
		var b *audit.Break
		if _, err := s.VerifyAudit(ctx, &r1.Last); !errors.As(err, &b) || b.Problem != audit.BadCheckpoint {
			t.Errorf("VerifyAudit from the first archive = %v, want a checkpoint break", err)
		}

		// Nothing before the cut: nothing written.
		h3, err := s.ArchiveAudit(ctx, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), func(audit.ArchiveHeader, iter.Seq2[audit.Record, error]) error {
			t.Error("write called with nothing to archive")
			return nil
		})
		if err != nil || h3.Count != 0 {
			t.Errorf("ArchiveAudit with nothing to archive = %+v, %v", h3, err)
		}
	})
}

func TestAuditArchiveRefuses(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := context.Background()
		clk := newClock()
		s := e.open(t, Options{Now: clk.Now})
		adminRecords(t, s, clk, 3)
		boom := errors.New("disk full")
		if _, err := s.ArchiveAudit(ctx, clk.Now().Add(time.Hour), func(audit.ArchiveHeader, iter.Seq2[audit.Record, error]) error { return boom }); !errors.Is(err, boom) {
			t.Errorf("ArchiveAudit with a failing writer = %v, want %v", err, boom)
		}
		if got, want := len(allRecords(t, s)), 3; got != want {
			t.Errorf("%d records after a failed archive, want %d", got, want)
		}
		// Records waiting to be forwarded stay in the table.
		if err := s.SetAuditTargets(ctx, []string{"fhir"}); err != nil {
			t.Fatal(err)
		}
		adminRecords(t, s, clk, 2) // 4, 5 wait for fhir
		var buf bytes.Buffer
		h, err := s.ArchiveAudit(ctx, clk.Now().Add(time.Hour), toBuffer(&buf))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := h.Last, int64(3); got != want {
			t.Errorf("archived through %d, want %d (4 and 5 are not forwarded)", got, want)
		}
	})
}

func TestAuditOutbox(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := context.Background()
		clk := newClock()
		s := e.open(t, Options{Now: clk.Now})
		adminRecords(t, s, clk, 2) // before any target: never queued
		if err := s.SetAuditTargets(ctx, []string{"syslog", "fhir"}); err != nil {
			t.Fatal(err)
		}
		id := oneDoc(t, s, "urn:oid:1.2.3.6") // 3 records: accepted, created, converted
		transition(t, s, Transition{ID: id, From: docbridge.Converted, To: docbridge.Matched, Actor: "match"})
		p, err := s.Pending(ctx, "fhir", 0)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, r := range p {
			seqs = append(seqs, r.Seq)
		}
		if got, want := seqs, []int64{3, 4, 5, 6}; !equalInts(got, want) {
			t.Errorf("fhir outbox = %v, want %v", got, want)
		}
		if err := s.MarkSent(ctx, "fhir", 3); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.OutboxLen(ctx, "fhir"); n != 3 {
			t.Errorf("fhir outbox holds %d after one sent, want 3", n)
		}
		if n, _ := s.OutboxLen(ctx, "syslog"); n != 4 {
			t.Errorf("syslog outbox holds %d, want 4", n)
		}
		if err := s.SetAuditTargets(ctx, []string{"fhir"}); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.OutboxLen(ctx, "syslog"); n != 0 {
			t.Errorf("syslog outbox holds %d after the target was removed, want 0", n)
		}
		if p, _ := s.Pending(ctx, "fhir", 2); len(p) != 2 || p[0].Seq != 4 {
			t.Errorf("Pending(fhir, 2) = %d records from %d, want 2 from 4", len(p), p[0].Seq)
		}
	})
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
