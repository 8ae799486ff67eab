package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// Group commit (SQLite). SQLite has one writer, and each commit costs a
// WAL fsync, so write transactions that arrive together — four MLLP
// connections accepting at once, the pipeline's stages — are merged: their
// functions queue, and one committer goroutine runs every queued function,
// in arrival order, inside one BEGIN IMMEDIATE … COMMIT, each in its own
// savepoint, then commits once and gives every caller the commit's
// outcome. Before that transaction it fsyncs the content directories the
// batch's writes name (inAuditTxAfter), each once and all at once. A
// batch forms while the previous one commits; nothing waits to gather
// one.
//
// What a caller sees does not change: its function runs alone in
// SQLite's single writer, sees everything committed before and what the
// functions queued before it in the same batch wrote, and inTx returns
// nil only once the batch holding its changes is committed. A function
// that fails is rolled back to its savepoint: only its own changes are
// undone, and its error is its caller's alone. A failed COMMIT is every
// caller's error, and then none of their changes was kept.

// maxBatch bounds the functions run in one transaction, so that one
// commit does not hold SQLite's write lock (which other processes — the
// operations commands — wait for) for long.
const maxBatch = 128

// txFunc is the work of one write transaction. It must use ctx for its
// statements: on SQLite that is the caller's context without its
// cancellation (see groupCommit.run), on PostgreSQL the caller's.
type txFunc func(ctx context.Context, tx *sql.Tx) error

// errStoreClosed is the error of a write submitted after Close.
var errStoreClosed = errors.New("the store is closed")

// groupCommit is the committer of one SQLite writer pool (one connection).
type groupCommit struct {
	db *sql.DB

	mu     sync.Mutex
	queue  []*txJob // guarded by mu
	closed bool     // guarded by mu: no more jobs are taken

	wake    chan struct{} // capacity 1: the queue is not empty
	quit    chan struct{} // closed by close
	stopped chan struct{} // closed when the committer has returned
}

// txJob is one caller's write transaction.
type txJob struct {
	ctx  context.Context
	dirs []string // fsynced before fn runs
	fn   txFunc
	// statement says fn runs one statement (doStatement): it needs no
	// savepoint, SQLite undoing a failed statement by itself.
	statement bool

	taken     bool // guarded by groupCommit.mu: the committer took it
	abandoned bool // guarded by groupCommit.mu: its caller gave up first

	err      error
	panicked any           // a panic of fn, raised again in its caller
	done     chan struct{} // closed once err (or panicked) is final
}

// newGroupCommit starts the committer of db, whose pool must have exactly
// one connection. Stop it with close before closing db.
func newGroupCommit(db *sql.DB) *groupCommit {
	g := &groupCommit{db: db, wake: make(chan struct{}, 1), quit: make(chan struct{}), stopped: make(chan struct{})}
	go g.loop()
	return g
}

// do queues fn and waits for the outcome of the transaction it ran in: nil
// means its changes are committed. The directories dirs are fsynced
// before fn runs; fn does not run when one cannot be. When ctx ends before
// the committer took fn, fn never runs and do returns ctx.Err(); once
// taken, do waits for the commit whatever ctx says, so that an error
// always means nothing was kept.
func (g *groupCommit) do(ctx context.Context, dirs []string, fn txFunc) error {
	return g.submit(&txJob{ctx: ctx, dirs: dirs, fn: fn})
}

// doStatement is do for a function that runs one statement: the
// savepoint of a job (two more statements in the writer) is left out, and
// when the statement fails, the whole batch fails with it (SQLite may
// have ended the transaction), as a failed COMMIT does.
func (g *groupCommit) doStatement(ctx context.Context, fn txFunc) error {
	return g.submit(&txJob{ctx: ctx, fn: fn, statement: true})
}

// submit queues j and waits for its outcome, as do says.
func (g *groupCommit) submit(j *txJob) error {
	ctx := j.ctx
	if err := ctx.Err(); err != nil {
		return err
	}
	j.done = make(chan struct{})
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return errStoreClosed
	}
	g.queue = append(g.queue, j)
	g.mu.Unlock()
	select {
	case g.wake <- struct{}{}:
	default:
	}
	select {
	case <-j.done:
	case <-ctx.Done():
		g.mu.Lock()
		if !j.taken {
			j.abandoned = true
			g.mu.Unlock()
			return ctx.Err()
		}
		g.mu.Unlock()
		<-j.done
	}
	if j.panicked != nil {
		panic(j.panicked)
	}
	return j.err
}

// close stops taking jobs, lets the batch in progress finish, fails the
// jobs still queued with errStoreClosed and waits for the committer.
func (g *groupCommit) close() {
	g.mu.Lock()
	already := g.closed
	g.closed = true
	g.mu.Unlock()
	if !already {
		close(g.quit)
	}
	<-g.stopped
}

// loop runs batches until close.
func (g *groupCommit) loop() {
	defer close(g.stopped)
	for {
		select {
		case <-g.wake:
		case <-g.quit:
			g.failQueued()
			return
		}
		for {
			batch := g.take()
			if len(batch) == 0 {
				break
			}
			g.run(batch)
		}
	}
}

// take removes up to maxBatch jobs from the queue, skipping abandoned
// ones; none once closed.
func (g *groupCommit) take() []*txJob {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	var batch []*txJob
	n := 0
	for _, j := range g.queue {
		n++
		if j.abandoned {
			continue
		}
		j.taken = true
		if batch = append(batch, j); len(batch) == maxBatch {
			break
		}
	}
	g.queue = append(g.queue[:0], g.queue[n:]...)
	return batch
}

// failQueued fails every job left in the queue with errStoreClosed.
func (g *groupCommit) failQueued() {
	g.mu.Lock()
	q := g.queue
	g.queue = nil
	g.mu.Unlock()
	for _, j := range q {
		j.finish(errStoreClosed)
	}
}

// run fsyncs the directories of batch at once, each once, then runs the
// batch in one transaction and finishes every job. The transaction and
// every statement of the jobs' functions run without cancellation: a
// statement interrupted by its context's end would roll the whole
// transaction back, everyone's changes with it. A job whose context ended
// before its turn, or one of whose directories could not be fsynced, is
// skipped with that error.
func (g *groupCommit) run(batch []*txJob) {
	var dirs []string
	for _, j := range batch {
		dirs = append(dirs, j.dirs...)
	}
	if errs := syncDirs(dirs); errs != nil {
		kept := batch[:0]
		for _, j := range batch {
			if err := syncErr(j.dirs, errs); err != nil {
				j.finish(err)
				continue
			}
			kept = append(kept, j)
		}
		if batch = kept; len(batch) == 0 {
			return
		}
	}
	bg := context.Background()
	tx, err := g.db.BeginTx(bg, nil)
	if err != nil {
		for _, j := range batch {
			j.finish(fmt.Errorf("begin: %w", err))
		}
		return
	}
	ran := make([]*txJob, 0, len(batch))
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.finish(err)
			continue
		}
		ferr, lost := runSaved(tx, j)
		if lost != nil {
			// The savepoint could not be rolled back to or released,
			// or a statement job failed: the transaction is gone (or
			// may be), with the work of every job.
			tx.Rollback()
			for _, k := range append(ran, batch[i:]...) {
				k.finish(fmt.Errorf("transaction lost: %w", lost))
			}
			return
		}
		if ferr != nil || j.panicked != nil {
			j.finish(ferr)
			continue
		}
		ran = append(ran, j)
	}
	if err := tx.Commit(); err != nil {
		// The driver rolls back what a failed COMMIT leaves open.
		err = fmt.Errorf("commit: %w", err)
		for _, j := range ran {
			j.finish(err)
		}
		return
	}
	for _, j := range ran {
		j.finish(nil)
	}
}

// runSaved runs j's function inside a savepoint of tx: its error (or
// panic, kept in j) rolls back only its changes. lost is set when the
// savepoint cannot be rolled back to or released, which means SQLite
// ended the transaction itself. A statement job runs without a savepoint,
// and its error is lost too.
func runSaved(tx *sql.Tx, j *txJob) (ferr, lost error) {
	if j.statement {
		if ferr = j.run(tx); ferr != nil || j.panicked != nil {
			return ferr, fmt.Errorf("a statement failed: %v", cmp.Or(ferr, fmt.Errorf("panic: %v", j.panicked)))
		}
		return nil, nil
	}
	ferr, lost = savepoint(context.Background(), tx, "job", func() error {
		if err := j.run(tx); err != nil || j.panicked == nil {
			return err
		}
		return errPanicked // rolled back like an error; the panic is in j
	})
	if ferr == errPanicked {
		ferr = nil
	}
	return ferr, lost
}

// errPanicked makes savepoint roll back a job whose function panicked.
var errPanicked = errors.New("the job's function panicked")

// run runs j's function in tx, keeping its panic in j.panicked.
func (j *txJob) run(tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			j.panicked = p
		}
	}()
	return j.fn(context.WithoutCancel(j.ctx), tx)
}

// finish makes err the job's outcome and wakes its caller.
func (j *txJob) finish(err error) {
	j.err = err
	close(j.done)
}
