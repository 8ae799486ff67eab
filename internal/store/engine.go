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

	// writeTx is the options of every write transaction.
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

// inTx runs fn in one write transaction and commits it. On SQLite fn must
// use only tx: the writer pool has one connection, so any other write (or
// s.w query) from inside fn would wait forever.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, s.eng.writeTx())
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

// inAuditTx is inTx for a transaction that appends audit records (or
// changes where they are queued): it takes lockChain first, so that such
// transactions run one at a time across every process on the database,
// and the chain has one head. Taking the lock before anything else also
// keeps them from deadlocking with each other.
func (s *Store) inAuditTx(ctx context.Context, fn func(tx auditTx) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.eng.lock(ctx, tx, lockChain); err != nil {
			return fmt.Errorf("lock the audit chain: %w", err)
		}
		return fn(auditTx{tx})
	})
}
