package store

import (
	"context"
	"database/sql"
	"fmt"
)

// engine is what differs between the two databases a Store runs on:
// SQLite (sqlite.go) and PostgreSQL (postgres.go). Everything else — the
// queries, written with ? placeholders, and the state machine around them —
// is shared.
type engine interface {
	// open opens the store's pools (s.w for writes, s.r for reads; the same
	// pool on PostgreSQL) and verifies the database's settings.
	open(ctx context.Context, s *Store) error
	// close closes what open opened.
	close(s *Store) error

	// migrationsTable is the DDL that creates schema_migrations if absent.
	migrationsTable() string
	// migrations are the schema steps in the engine's dialect; step i
	// brings the schema to version i+1 on both engines.
	migrations() []string

	// inTx fsyncs the directories dirs, then runs fn in a write
	// transaction and commits it (see Store.inTx and inAuditTxAfter).
	inTx(ctx context.Context, s *Store, dirs []string, fn txFunc) error
	// writeTx is the options of a write transaction begun on s.w.
	writeTx() *sql.TxOptions
	// snapshotTx is the options of a read transaction whose statements
	// all see one snapshot.
	snapshotTx() *sql.TxOptions
	// lock takes a transaction-scoped lock on l, waiting for it; it is
	// released at commit or rollback. It is a no-op where write
	// transactions are serialised anyway (SQLite).
	lock(ctx context.Context, tx *sql.Tx, l lockName) error

	// skipLocked ends a SELECT of rows the transaction leases, so that
	// concurrent leases skip each other's rows instead of waiting.
	skipLocked() string
	// lease sets column to until on the rows of table with these ids, in
	// tx, in one statement.
	lease(ctx context.Context, tx *sql.Tx, table, column string, until int64, ids []int64) error

	// replacingWhere is the condition selecting the documents whose
	// metadata replaces the uniqueId bound to its one placeholder; the
	// partial index of migration 3 serves it.
	replacingWhere() string

	// scrubBegin and scrubEnd surround a rewrite of secrets in place (the
	// encryption of clear pairing tokens), so that no clear copy stays in
	// the database files where the engine can prevent it.
	scrubBegin(ctx context.Context, s *Store) error
	scrubEnd(ctx context.Context, s *Store) error
}

// lockName names a lock the PostgreSQL engine takes with
// pg_advisory_xact_lock, scoped to the store's schema.
type lockName int32

const (
	// lockMigrate serialises migration steps across instances.
	lockMigrate lockName = 0x64626d31 // "dbm1"
	// lockChain serialises the transactions that append audit records,
	// so the chain stays linear with several writers.
	lockChain lockName = 0x64626331 // "dbc1"
)

// auditTx is a write transaction that may append audit records: it was
// begun by inAuditTx, so on PostgreSQL it holds lockChain. appendAudit
// takes one, so that no record is appended without the lock.
type auditTx struct{ *sql.Tx }

// inTx runs fn in one write transaction and returns nil once it is
// committed. fn must run its statements with the ctx it is given and use
// only tx: on SQLite the writer pool has one connection, so any other
// write (or s.w query) from inside fn would wait forever. On SQLite, fn
// may share its transaction with other callers' (groupcommit.go): it sees
// their earlier writes, and its error undoes only its own.
func (s *Store) inTx(ctx context.Context, fn txFunc) error {
	return s.eng.inTx(ctx, s, nil, fn)
}

// runTx runs fn in one transaction of db begun with opts, and commits it.
func runTx(ctx context.Context, db *sql.DB, opts *sql.TxOptions, fn txFunc) error {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// inAuditTx is inTx for a transaction that appends audit records (or
// changes where they are queued): it takes lockChain first, so that such
// transactions run one at a time across every process on the database,
// and the chain has one head. Taking the lock before anything else also
// keeps them from deadlocking with each other.
func (s *Store) inAuditTx(ctx context.Context, fn func(ctx context.Context, tx auditTx) error) error {
	return s.inAuditTxAfter(ctx, nil, fn)
}

// inAuditTxAfter is inAuditTx for a change that names content files just
// put in place (placeContent, putBytes): the content subdirectories dirs
// are fsynced before fn's transaction commits, and fn does not run when
// one cannot be. On SQLite the committer fsyncs the directories of a whole
// batch at once, each once.
func (s *Store) inAuditTxAfter(ctx context.Context, dirs []string, fn func(ctx context.Context, tx auditTx) error) error {
	return s.eng.inTx(ctx, s, dirs, func(ctx context.Context, tx *sql.Tx) error {
		if err := s.eng.lock(ctx, tx, lockChain); err != nil {
			return fmt.Errorf("lock the audit chain: %w", err)
		}
		return fn(ctx, auditTx{tx})
	})
}

// syncErr returns the error of the first directory of dirs that failed in
// errs (syncDirs), or nil.
func syncErr(dirs []string, errs map[string]error) error {
	for _, d := range dirs {
		if err := errs[d]; err != nil {
			return fmt.Errorf("sync %s: %w", d, err)
		}
	}
	return nil
}
