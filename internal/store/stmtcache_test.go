package store

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
)

// rawConn runs fn on the driver connection behind c.
func rawConn(t *testing.T, c *sql.Conn, fn func(sc *stmtConn)) {
	t.Helper()
	err := c.Raw(func(dc any) error {
		sc, ok := dc.(*stmtConn)
		if !ok {
			return fmt.Errorf("driver connection is a %T, want *stmtConn", dc)
		}
		fn(sc)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// readerConn returns one connection of s's reader pool, closed at cleanup.
func readerConn(t *testing.T, s *Store) *sql.Conn {
	t.Helper()
	c, err := s.r.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestStmtCacheReusesStatements(t *testing.T) {
	s := openSQLiteTest(t, Options{})
	ctx := context.Background()
	c := readerConn(t, s)
	var before int
	rawConn(t, c, func(sc *stmtConn) { before = len(sc.stmts) })
	const q = `SELECT ? + 1`
	for i := range 3 {
		var got int
		if err := c.QueryRowContext(ctx, q, i).Scan(&got); err != nil || got != i+1 {
			t.Fatalf("run %d: %d, %v; want %d", i, got, err, i+1)
		}
		if _, err := c.ExecContext(ctx, `SELECT ?`, i); err != nil {
			t.Fatalf("exec %d: %v", i, err)
		}
	}
	rawConn(t, c, func(sc *stmtConn) {
		if _, ok := sc.stmts[q]; !ok || len(sc.stmts) != before+2 {
			t.Errorf("connection keeps %d statements (%q among them: %v), want %d: one per text run", len(sc.stmts), q, ok, before+2)
		}
	})
}

// TestStmtCacheQueryInsideItsOwnRows: the same text run while rows read
// from its statement are open gets a statement of its own, and both
// results are right.
func TestStmtCacheQueryInsideItsOwnRows(t *testing.T) {
	s := openSQLiteTest(t, Options{})
	ctx := context.Background()
	c := readerConn(t, s)
	const q = `SELECT value FROM json_each(?)`
	rows, err := c.QueryContext(ctx, q, `[1, 2, 3]`)
	if err != nil {
		t.Fatal(err)
	}
	var outer, inner []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		outer = append(outer, v)
		// The *sql.Conn keeps this on the same connection, whose
		// statement of q is busy with the outer rows.
		var w int
		if err := c.QueryRowContext(ctx, q, fmt.Sprintf("[%d]", v*10)).Scan(&w); err != nil {
			t.Fatal(err)
		}
		inner = append(inner, w)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if fmt.Sprint(outer, inner) != "[1 2 3] [10 20 30]" {
		t.Errorf("outer %v, inner %v; want [1 2 3] [10 20 30]", outer, inner)
	}
	var n int
	if err := c.QueryRowContext(ctx, `SELECT COUNT(*) FROM json_each(?)`, `[1, 2]`).Scan(&n); err != nil || n != 2 {
		t.Errorf("after the rows closed: %d, %v; want 2", n, err)
	}
}

func TestStmtCacheBounded(t *testing.T) {
	s := openSQLiteTest(t, Options{})
	ctx := context.Background()
	c := readerConn(t, s)
	for i := range maxCachedStmts + 10 {
		var got int
		if err := c.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&got); err != nil || got != i {
			t.Fatalf("SELECT %d = %d, %v", i, got, err)
		}
	}
	rawConn(t, c, func(sc *stmtConn) {
		if len(sc.stmts) != maxCachedStmts {
			t.Errorf("connection keeps %d statements, want the bound %d", len(sc.stmts), maxCachedStmts)
		}
	})
}

// TestStmtCacheSeesSchemaChanges: a kept statement runs against the
// schema of the moment, as the store's migrations need.
func TestStmtCacheSeesSchemaChanges(t *testing.T) {
	s := openSQLiteTest(t, Options{})
	ctx := context.Background()
	c, err := s.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, q := range []string{`CREATE TABLE sc_test (a INTEGER)`, `INSERT INTO sc_test VALUES (1)`} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	const q = `SELECT * FROM sc_test`
	var a, b int
	if err := c.QueryRowContext(ctx, q).Scan(&a); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecContext(ctx, `ALTER TABLE sc_test ADD COLUMN b INTEGER NOT NULL DEFAULT 7`); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRowContext(ctx, q).Scan(&a, &b); err != nil || a != 1 || b != 7 {
		t.Errorf("kept statement after ALTER TABLE: %d, %d, %v; want 1, 7", a, b, err)
	}
}
