package store

import (
	"context"
	"database/sql"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Tests of what is specific to the SQLite engine (pragmas, the data
// directory's name), and of the time conversion.

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
