package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// This file holds what is specific to SQLite: the DSN, the pragmas and
// their verification. A PostgreSQL engine replaces it.

const (
	busyTimeoutMS = 5000
	readConns     = 4
)

// sqliteDSN returns the DSN for the database at path. The pragmas are in
// the DSN so that the driver applies them to every connection it opens, not
// only to the first one. The writer begins its transactions IMMEDIATE: it
// takes the write lock at BEGIN (waiting up to busy_timeout for another
// process) instead of failing with SQLITE_BUSY when a read turns into a
// write. Readers are query_only.
func sqliteDSN(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	if writer {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return path + "?" + q.Encode()
}

// openSQLite opens a pool on the database at path and verifies its
// pragmas: the writer pool has exactly one connection, the reader pool a
// few.
func openSQLite(ctx context.Context, path string, writer bool) (*sql.DB, error) {
	db, err := sql.Open("sqlite", sqliteDSN(path, writer))
	if err != nil {
		return nil, err
	}
	n := readConns
	if writer {
		n = 1
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := verifyPragmas(ctx, db, writer); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// pragmaWant is one pragma and the value it must read back.
type pragmaWant struct{ name, want string }

// wantPragmas returns the pragmas a connection must run with.
func wantPragmas(writer bool) []pragmaWant {
	p := []pragmaWant{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", fmt.Sprint(busyTimeoutMS)},
	}
	if !writer {
		p = append(p, pragmaWant{"query_only", "1"})
	}
	return p
}

// verifyPragmas reads back every pragma on one connection of db. The
// driver applies the same DSN to each connection, so one is enough.
func verifyPragmas(ctx context.Context, db *sql.DB, writer bool) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, p := range wantPragmas(writer) {
		var got string
		if err := conn.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&got); err != nil {
			return fmt.Errorf("read pragma %s: %w", p.name, err)
		}
		if !strings.EqualFold(got, p.want) {
			return fmt.Errorf("pragma %s is %q, want %q", p.name, got, p.want)
		}
	}
	return nil
}

// inTx runs fn in one write transaction on the writer connection and
// commits it. fn must use only tx: the writer pool has one connection, so
// any other write (or s.w query) from inside fn would wait forever.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
