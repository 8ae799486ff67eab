package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/google/go-cmp/cmp"
)

// Tests of what is specific to the SQLite engine: pragmas, files on disk,
// reopening, migrations.

func TestPragmas(t *testing.T) {
	s := openSQLiteTest(t, Options{})
	ctx := context.Background()
	for _, pool := range []struct {
		name   string
		db     *sql.DB
		writer bool
	}{{"writer", s.w, true}, {"reader", s.r, false}} {
		if got := pool.db.Stats().MaxOpenConnections; pool.writer && got != 1 {
			t.Errorf("writer MaxOpenConnections = %d, want 1", got)
		}
		// Hold every connection of the pool at once, so each is checked.
		n := pool.db.Stats().MaxOpenConnections
		var conns []*sql.Conn
		for range n {
			c, err := pool.db.Conn(ctx)
			if err != nil {
				t.Fatalf("%s: Conn: %v", pool.name, err)
			}
			conns = append(conns, c)
		}
		for i, c := range conns {
			for _, p := range wantPragmas(pool.writer) {
				var got string
				if err := c.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&got); err != nil {
					t.Fatalf("%s conn %d: PRAGMA %s: %v", pool.name, i, p.name, err)
				}
				if !strings.EqualFold(got, p.want) {
					t.Errorf("%s conn %d: PRAGMA %s = %q, want %q", pool.name, i, p.name, got, p.want)
				}
			}
			c.Close()
		}
	}
	if _, err := s.r.ExecContext(ctx, `DELETE FROM inputs`); err == nil {
		t.Errorf("a write through the reader pool succeeded, want query_only to refuse it")
	}
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := openSQLiteTest(t, Options{Dir: dir})
	converted(t, s, "input", NewDocument{Doc: newDoc("urn:oid:1", "content"), State: docbridge.Converted})
	seen := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		seen[rel] = true
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", rel, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{".", dbFile, dbFile + "-wal", dbFile + "-shm", contentDir, tmpDir} {
		if !seen[name] {
			t.Errorf("%s does not exist", name)
		}
	}
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clk := newClock()
	s, err := Open(ctx, Options{Dir: dir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	inputID, refs := converted(t, s, "input",
		NewDocument{Doc: newDoc("urn:oid:1", "one"), State: docbridge.Converted},
		NewDocument{Doc: newDoc("urn:oid:2", "two"), State: docbridge.Review, Reason: docbridge.MissingINS})
	pending := accept(t, s, []byte("pending"))
	transition(t, s, Transition{ID: refs[0].ID, From: docbridge.Converted, To: docbridge.Held,
		Reason: docbridge.MESUnavailable, Attempted: true, NextAttempt: clk.Now().Add(time.Hour), PairingID: "p1"})
	if err := s.PutPairing(ctx, pairing("p1", "1", time.Time{})); err != nil {
		t.Fatal(err)
	}
	type snapshot struct {
		Inputs   []Input
		Docs     []DocRow
		History  []Event
		Pairings []docbridge.Pairing
		Content  string
	}
	snap := func(s *Store) snapshot {
		in1, err1 := s.Input(ctx, inputID)
		in2, err2 := s.Input(ctx, pending.ID)
		docs, err3 := s.Documents(ctx, Filter{})
		h, err4 := s.History(ctx, refs[0].ID)
		p, err5 := s.Pairings(ctx)
		c, err6 := s.ReadContent(docs[1].SHA256)
		for _, err := range []error{err1, err2, err3, err4, err5, err6} {
			if err != nil {
				t.Fatal(err)
			}
		}
		return snapshot{[]Input{in1, in2}, docs, h, p, string(c)}
	}
	before := snap(s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	s2 := openSQLiteTest(t, Options{Dir: dir})
	if diff := cmp.Diff(before, snap(s2)); diff != "" {
		t.Errorf("after reopening (-before +after):\n%s", diff)
	}
	var v int
	if err := s2.r.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil || v != schemaVersion() {
		t.Errorf("schema version = %d, %v; want %d", v, err, schemaVersion())
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	s := openSQLiteTest(t, Options{Dir: dir})
	if _, err := s.w.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, schemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	if s2, err := Open(context.Background(), Options{Dir: dir}); err == nil {
		s2.Close()
		t.Errorf("Open of a newer schema: no error")
	}
}

func TestOpenErrors(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"", filepath.Join(t.TempDir(), "a?b"), notDir} {
		if s, err := Open(context.Background(), Options{Dir: dir}); err == nil {
			s.Close()
			t.Errorf("Open(%q): no error", dir)
		}
	}
}

func TestOpenRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	s := openSQLiteTest(t, Options{Dir: dir})
	s.Close()
	stale, fresh := filepath.Join(dir, tmpDir, "content-stale"), filepath.Join(dir, tmpDir, "content-fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleTemp)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	openSQLiteTest(t, Options{Dir: dir})
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temp file still there (%v)", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file removed: %v", err)
	}
}

func TestTimeConversion(t *testing.T) {
	paris := time.FixedZone("CEST", 2*3600)
	tests := []struct {
		in   time.Time
		want time.Time
	}{
		{time.Time{}, time.Time{}},
		{time.Date(2026, 3, 29, 3, 0, 0, 1, paris), time.Date(2026, 3, 29, 1, 0, 0, 1, time.UTC)},
		{time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(0, math.MaxInt64).UTC()},
		{time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(0, math.MinInt64+1).UTC()},
	}
	for _, tc := range tests {
		got := fromNanos(nanos(tc.in))
		if !got.Equal(tc.want) || got.Location() != time.UTC && !got.IsZero() {
			t.Errorf("fromNanos(nanos(%v)) = %v, want %v in UTC", tc.in, got, tc.want)
		}
	}
}

// TestTwoProcesses opens the same directory twice (two connections to the
// database, as serve and an operations command would have) and writes
// through both at once: IMMEDIATE transactions and busy_timeout must
// serialise them without SQLITE_BUSY errors.
func TestTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	stores := []*Store{openSQLiteTest(t, Options{Dir: dir}), openSQLiteTest(t, Options{Dir: dir})}
	const n = 20
	errs := make(chan error, 2*n)
	var wg sync.WaitGroup
	for w, s := range stores {
		wg.Go(func() {
			for i := range n {
				body := fmt.Appendf(nil, "writer %d input %d", w, i)
				a, err := s.Accept(context.Background(), envelope(body))
				if err == nil {
					_, err = s.RecordConversion(context.Background(), a.ID, []NewDocument{
						{Doc: newDoc(string(body), string(body)+" doc"), State: docbridge.Converted}})
				}
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent write: %v", err)
		}
	}
	if c, err := stores[1].Counts(context.Background()); err != nil || c[docbridge.Converted] != 2*n {
		t.Errorf("Counts = %v, %v; want %d converted", c, err, 2*n)
	}
}
