package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// This file holds what is specific to SQLite: the DSN, the pragmas and
// their verification, and the sqliteEngine.

const (
	dbFile        = "docbridge.db"
	busyTimeoutMS = 5000
	readConns     = 4
)

// sqliteEngine keeps the database in Options.Dir/docbridge.db. Writes go
// through one connection whose transactions begin IMMEDIATE, so they are
// serialised in this process and, through SQLite's locking, across
// processes; concurrent ones share a transaction (groupcommit.go).
type sqliteEngine struct {
	group *groupCommit  // started by open once the schema is migrated
	ckpt  *checkpointer // checkpoint.go
}

// open creates the database file 0600 (SQLite gives its WAL and
// shared-memory files the database's mode, so none is ever
// world-readable), then opens the writer and the reader pools and verifies
// their pragmas.
func (e *sqliteEngine) open(ctx context.Context, s *Store) error {
	path := filepath.Join(s.dir, dbFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := syncDir(s.dir); err != nil {
		return err
	}
	if s.w, err = openSQLite(ctx, path, true); err != nil {
		return err
	}
	if err := migrateSQLite(ctx, s); err != nil {
		return err
	}
	e.group = newGroupCommit(s.w)
	if s.r, err = openSQLite(ctx, path, false); err != nil {
		return err
	}
	e.ckpt, err = startCheckpointer(ctx, path)
	return err
}

// migrateSQLite runs migrate with foreign keys off on the writer's one
// connection, as SQLite's procedure for rebuilding a table that others
// reference requires (migration 7), then checks that every reference
// still holds and turns them on again. A dangling reference fails the
// open: the store is left as migrated, for an operator to look at.
func migrateSQLite(ctx context.Context, s *Store) error {
	if _, err := s.w.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return fmt.Errorf("migrate: foreign keys off: %w", err)
	}
	err := migrate(ctx, s)
	if err == nil {
		var table string
		switch cerr := s.w.QueryRowContext(ctx, `PRAGMA foreign_key_check`).Scan(&table); {
		case cerr == nil:
			err = fmt.Errorf("migrate: table %s holds a reference to a row that is gone", table)
		case !errors.Is(cerr, sql.ErrNoRows):
			err = fmt.Errorf("migrate: check foreign keys: %w", cerr)
		}
	}
	if _, ferr := s.w.ExecContext(ctx, `PRAGMA foreign_keys = ON`); ferr != nil && err == nil {
		err = fmt.Errorf("migrate: foreign keys on: %w", ferr)
	}
	return err
}

// close stops the committer, letting the batch in progress commit, then
// the checkpointer, and closes the pools.
func (e *sqliteEngine) close(s *Store) error {
	if e.group != nil {
		e.group.close()
	}
	var errs []error
	if e.ckpt != nil {
		errs = append(errs, e.ckpt.close())
	}
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

func (*sqliteEngine) migrationsTable() string {
	return `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	applied_at INTEGER NOT NULL
)`
}

func (*sqliteEngine) migrations() []string { return sqliteMigrations }

// inTx hands fn to the committer, which fsyncs dirs and runs fn in a
// transaction shared with the other writes queued at the same time.
func (e *sqliteEngine) inTx(ctx context.Context, _ *Store, dirs []string, fn txFunc) error {
	return e.group.do(ctx, dirs, fn)
}

// writeTx is the default: the DSN makes every write transaction IMMEDIATE.
func (*sqliteEngine) writeTx() *sql.TxOptions { return nil }

// snapshotTx: a SQLite read transaction sees one snapshot (WAL).
func (*sqliteEngine) snapshotTx() *sql.TxOptions { return &sql.TxOptions{ReadOnly: true} }

// lock does nothing: the write transaction already holds the database's
// write lock.
func (*sqliteEngine) lock(context.Context, *sql.Tx, lockName) error { return nil }

// skipLocked is empty: the write transaction holds the database's write
// lock, so no other transaction leases meanwhile.
func (*sqliteEngine) skipLocked() string { return "" }

func (*sqliteEngine) lease(ctx context.Context, tx *sql.Tx, table, column string, until int64, ids []int64) error {
	list, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE `+table+` SET `+column+` = ? WHERE id IN (SELECT value FROM json_each(?))`, until, string(list))
	return err
}

func (*sqliteEngine) replacingWhere() string {
	return `json_extract(meta, '$.action') = 'replace' AND json_extract(meta, '$.replaces') = ?`
}

// scrubBegin turns secure_delete on for the writer connection: the space
// the clear values leave is zeroed.
func (*sqliteEngine) scrubBegin(ctx context.Context, s *Store) error {
	if _, err := s.w.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
		return fmt.Errorf("enable secure_delete: %w", err)
	}
	return nil
}

// scrubEnd checkpoints the WAL into the database file and empties it, so
// that no clear copy stays in the WAL.
func (*sqliteEngine) scrubEnd(ctx context.Context, s *Store) error {
	if _, err := s.w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

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
	// Temporary data — the sub-journals of group commit's savepoints
	// above all — in memory, not in temp files: one write call per page
	// saved, none of it needed after a crash.
	q.Add("_pragma", "temp_store(MEMORY)")
	if writer {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", writerCheckpointPages))
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return path + "?" + q.Encode()
}

// openSQLite opens a pool on the database at path and verifies its
// pragmas: the writer pool has exactly one connection, the reader pool a
// few. Connections keep their statements prepared (stmtcache.go).
func openSQLite(ctx context.Context, path string, writer bool) (*sql.DB, error) {
	cn, err := newSQLiteConnector(sqliteDSN(path, writer))
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(cn)
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
		{"temp_store", "2"}, // MEMORY
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
