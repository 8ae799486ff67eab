package store

import (
	"context"
	"database/sql/driver"
	"fmt"

	"modernc.org/sqlite"
)

// The store runs a small, fixed set of query texts, and parsing one costs
// SQLite as much as running it: every SQLite connection keeps the
// statements it runs prepared, keyed by their text, and runs them again
// with new arguments (stmtConn). Callers see nothing of it: database/sql
// hands each query text to the connection, which looks it up.

// maxCachedStmts bounds a connection's prepared statements. The store's
// queries are built from a small set of fragments, so it never holds that
// many; past it, new texts are prepared for each run and finalised.
const maxCachedStmts = 256

// sqliteConnector opens SQLite connections that keep their statements
// prepared.
type sqliteConnector struct{ driver.Connector }

// newSQLiteConnector returns the connector of the database dsn names.
func newSQLiteConnector(dsn string) (driver.Connector, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sqliteConnector{c}, nil
}

// Connect implements driver.Connector.
func (c sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	dc, ok := conn.(sqliteDriverConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("sqlite connector returned a %T, which lacks a context method", conn)
	}
	return &stmtConn{sqliteDriverConn: dc, stmts: map[string]*cachedStmt{}}, nil
}

// sqliteDriverConn is what the SQLite driver's connection implements and
// database/sql uses.
type sqliteDriverConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// stmtConn is a SQLite connection that runs ExecContext and QueryContext
// through prepared statements it keeps. database/sql uses a connection
// from one goroutine at a time, so it needs no lock.
type stmtConn struct {
	sqliteDriverConn
	stmts map[string]*cachedStmt
}

// cachedStmt is one prepared statement of a stmtConn.
type cachedStmt struct {
	st interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	// busy is set while rows read from it are open: SQLite steps one
	// statement through one result at a time, so the same text run
	// meanwhile (a query inside a loop over its own rows) gets a
	// statement of its own.
	busy bool
}

// stmt returns the prepared statement of query, preparing and keeping it
// the first time; nil when it is busy or the connection keeps enough
// statements already (the caller then runs query once, unprepared).
func (c *stmtConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if cs, ok := c.stmts[query]; ok {
		if cs.busy {
			return nil, nil
		}
		return cs, nil
	}
	if len(c.stmts) >= maxCachedStmts {
		return nil, nil
	}
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	cs := &cachedStmt{}
	var ok bool
	if cs.st, ok = st.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}); !ok {
		st.Close()
		return nil, nil
	}
	c.stmts[query] = cs
	return cs, nil
}

// ExecContext implements driver.ExecerContext.
func (c *stmtConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteDriverConn.ExecContext(ctx, query, args)
	}
	return cs.st.ExecContext(ctx, args)
}

// QueryContext implements driver.QueryerContext.
func (c *stmtConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.sqliteDriverConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.st.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: rows, cs: cs}, nil
}

// Close finalises the kept statements, then closes the connection.
func (c *stmtConn) Close() error {
	for q, cs := range c.stmts {
		cs.st.Close()
		delete(c.stmts, q)
	}
	return c.sqliteDriverConn.Close()
}

// cachedRows are rows read from a kept statement; closing them (which
// resets the statement) frees it for the next run.
type cachedRows struct {
	driver.Rows
	cs *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.cs.busy = false
	return err
}
