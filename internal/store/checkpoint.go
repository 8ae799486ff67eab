package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// Checkpoints on SQLite. In WAL mode the pages a commit writes are
// appended to the WAL, and a checkpoint copies them back into the
// database file and fsyncs it. By default the connection that commits
// runs the checkpoint once the WAL holds 1,000 pages, inside its commit:
// every few dozen documents, one commit — and every acknowledgement
// waiting for it — paid for writing 1,000 pages to their places in the
// database file. On a small database those places are close together; in
// a store of a million documents they are scattered over a gigabyte, and
// that commit stalled the intake for a second or more (BENCHMARKS.md,
// growth). So a checkpointer of its own, on its own connection, copies
// the WAL in the background (PASSIVE: it never blocks the writer or the
// readers), and the writer checkpoints itself only past
// writerCheckpointPages, should the checkpointer fall that far behind.
const (
	// checkpointEvery is how often the checkpointer looks at the WAL.
	checkpointEvery = 200 * time.Millisecond
	// writerCheckpointPages is the writer's own wal_autocheckpoint: far
	// above what the checkpointer lets the WAL reach (about
	// checkpointEvery of commits).
	writerCheckpointPages = 16384
)

// checkpointer runs PASSIVE checkpoints on its own connection until
// stopped.
type checkpointer struct {
	db   *sql.DB
	stop chan struct{}
	done sync.WaitGroup
}

// startCheckpointer opens a connection to the database at path and
// checkpoints through it every checkpointEvery.
func startCheckpointer(ctx context.Context, path string) (*checkpointer, error) {
	db, err := openSQLite(ctx, path, true)
	if err != nil {
		return nil, err
	}
	c := &checkpointer{db: db, stop: make(chan struct{})}
	c.done.Go(c.run)
	return c, nil
}

func (c *checkpointer) run() {
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		// A failed checkpoint (the database busy past busy_timeout, a
		// full disk) loses nothing: the pages stay in the WAL, the next
		// tick tries again, and the writer's own checkpoint is the
		// backstop.
		var busy, log, done int
		c.db.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done)
	}
}

// close stops the checkpointer and closes its connection.
func (c *checkpointer) close() error {
	close(c.stop)
	c.done.Wait()
	return c.db.Close()
}
