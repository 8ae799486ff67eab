package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// This file holds what is specific to PostgreSQL: the pool, the settings
// it verifies, the advisory locks and the leases with SKIP LOCKED.

const (
	// pgMaxConns is the size of a store's pool: its readers and writers
	// together (workers, console, intakes).
	pgMaxConns = 10
	// pgMinVersion is the oldest server the schema is written for
	// (identity columns).
	pgMinVersion = 100000
)

// pgEngine keeps the database in the schema the connection's search_path
// names first (current_schema()) of the database Options.Postgres names.
// Reads and writes share one pool; write transactions run at READ
// COMMITTED whatever the server's default, and rely on row locks and
// compare-and-set updates, plus lockChain for the audit chain.
type pgEngine struct {
	url string
	// key scopes the advisory locks to the store's schema, so that stores
	// in other schemas of the same database do not wait for each other.
	key int32
}

// open opens the pool, verifies the server's settings and migrates.
func (e *pgEngine) open(ctx context.Context, s *Store) error {
	cfg, err := pgx.ParseConfig(e.url)
	if err != nil {
		return invalidURL(err)
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "docbridge"
	}
	db := sql.OpenDB(pgConnector{Connector: stdlib.GetConnector(*cfg), rb: new(rebinder)})
	db.SetMaxOpenConns(pgMaxConns)
	db.SetMaxIdleConns(pgMaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.w, s.r = db, db
	if err := e.verify(ctx, db); err != nil {
		return err
	}
	return migrate(ctx, s)
}

// invalidURL returns the error of a URL pgx cannot parse, without the
// URL, which may hold a password: pgx's error and net/url's quote it.
func invalidURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("invalid PostgreSQL URL: %w", ue.Err)
	}
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		return fmt.Errorf("invalid PostgreSQL URL: %w", pe.Unwrap())
	}
	return errors.New("invalid PostgreSQL URL")
}

// verify checks that the server and the session can keep the store's
// promises: a schema to create the tables in, commits that are durable
// when they return (fsync and synchronous_commit not off), and a server
// recent enough for the schema. It also derives the lock key from the
// schema.
func (e *pgEngine) verify(ctx context.Context, db *sql.DB) error {
	var schema sql.NullString
	var version int
	var syncCommit, fsync string
	err := db.QueryRowContext(ctx, `SELECT current_schema(), current_setting('server_version_num')::int,
	current_setting('synchronous_commit'), current_setting('fsync')`).Scan(&schema, &version, &syncCommit, &fsync)
	if err != nil {
		return fmt.Errorf("read server settings: %w", err)
	}
	switch {
	case !schema.Valid:
		return errors.New("no schema to keep the tables in: the search_path names no schema that exists")
	case version < pgMinVersion:
		return fmt.Errorf("PostgreSQL server version %d is too old: docbridge needs 10 or newer", version)
	case syncCommit == "off":
		return errors.New("synchronous_commit is off: a committed input could be lost in a crash after it was acknowledged; set it to on")
	case fsync == "off":
		return errors.New("fsync is off on the server: committed data could be lost in a crash; turn it on")
	}
	h := fnv.New32a()
	h.Write([]byte("docbridge schema " + schema.String))
	e.key = int32(h.Sum32())
	return nil
}

func (e *pgEngine) close(s *Store) error {
	if s.w == nil {
		return nil
	}
	return s.w.Close() // s.r is the same pool
}

func (*pgEngine) migrationsTable() string {
	return `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    BIGINT PRIMARY KEY,
	applied_at BIGINT NOT NULL
)`
}

func (*pgEngine) migrations() []string { return pgMigrations }

// inTx fsyncs dirs, then runs fn in a transaction of its own: PostgreSQL
// runs concurrent write transactions side by side, and commits them with
// its own group commit.
func (e *pgEngine) inTx(ctx context.Context, s *Store, dirs []string, fn txFunc) error {
	if err := syncErr(dirs, syncDirs(dirs)); err != nil {
		return err
	}
	return runTx(ctx, s.w, e.writeTx(), fn)
}

// writeTx is READ COMMITTED: each statement sees what was committed before
// it, so a compare-and-set UPDATE or an INSERT … ON CONFLICT that waited
// for another transaction's row sees that transaction's outcome, instead
// of failing as it would at REPEATABLE READ.
func (*pgEngine) writeTx() *sql.TxOptions {
	return &sql.TxOptions{Isolation: sql.LevelReadCommitted}
}

// snapshotTx is REPEATABLE READ: every statement sees the snapshot of the
// first one.
func (*pgEngine) snapshotTx() *sql.TxOptions {
	return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
}

// lock takes the advisory lock (l, schema key) for the rest of tx.
func (e *pgEngine) lock(ctx context.Context, tx *sql.Tx, l lockName) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?, ?)`, int32(l), e.key)
	return err
}

func (*pgEngine) skipLocked() string { return ` FOR UPDATE SKIP LOCKED` }

func (*pgEngine) lease(ctx context.Context, tx *sql.Tx, table, column string, until int64, ids []int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE `+table+` SET `+column+` = ? WHERE id = ANY(?)`, until, ids)
	return err
}

func (*pgEngine) replacingWhere() string {
	return `((meta::jsonb) ->> 'action') = 'replace' AND ((meta::jsonb) ->> 'replaces') = ?`
}

// scrubBegin does nothing: PostgreSQL keeps the old row versions until
// VACUUM reuses their space, and its WAL until recycled; the operator of a
// database that held clear tokens runs VACUUM FULL pairings.
func (*pgEngine) scrubBegin(context.Context, *Store) error { return nil }

func (*pgEngine) scrubEnd(context.Context, *Store) error { return nil }

// pgConnector opens pgx connections (through pgx's database/sql adapter)
// whose query texts pass through a rebinder.
type pgConnector struct {
	driver.Connector
	rb *rebinder
}

// Connect implements driver.Connector.
func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(*stdlib.Conn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("pgx connector returned a %T, want *stdlib.Conn", conn)
	}
	return &pgConn{Conn: sc, rb: c.rb}, nil
}

// pgConn is a pgx connection that rebinds every query text it is given;
// everything else is pgx's.
type pgConn struct {
	*stdlib.Conn
	rb *rebinder
}

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(c.rb.rebind(query))
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, c.rb.rebind(query))
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, c.rb.rebind(query), args)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, c.rb.rebind(query), args)
}
