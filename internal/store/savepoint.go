package store

import (
	"context"
	"database/sql"
)

// savepoint runs fn inside the savepoint name of tx: when fn fails, its
// changes alone are rolled back and failed is its error, tx going on.
// lost is set when the savepoint cannot be taken, rolled back to or
// released: SQLite ended the transaction itself, and tx is lost.
func savepoint(ctx context.Context, tx *sql.Tx, name string, fn func() error) (failed, lost error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT `+name); err != nil {
		return nil, err
	}
	if failed = fn(); failed != nil {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO `+name); err != nil {
			return failed, err
		}
	}
	if _, err := tx.ExecContext(ctx, `RELEASE `+name); err != nil {
		return failed, err
	}
	return failed, nil
}
