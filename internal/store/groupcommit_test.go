package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
)

// Tests of the SQLite committer (groupcommit.go). Each holds the committer
// inside a first job so that the next ones queue, then lets them run as
// one batch.

// committer returns the committer of a fresh SQLite store, with a table
// the tests write to.
func committer(t *testing.T) (*Store, *groupCommit) {
	t.Helper()
	s := openSQLiteTest(t, Options{})
	if _, err := s.w.Exec(`CREATE TABLE gc_test (n INTEGER NOT NULL, input_id INTEGER REFERENCES inputs (id))`); err != nil {
		t.Fatal(err)
	}
	return s, s.eng.(*sqliteEngine).group
}

// hold queues a job that blocks the committer until the returned function
// is called, and returns once the committer runs it.
func hold(t *testing.T, g *groupCommit) (release func()) {
	t.Helper()
	running, stop := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		err := g.do(context.Background(), nil, func(context.Context, *sql.Tx) error {
			close(running)
			<-stop
			return nil
		})
		if err != nil {
			t.Errorf("holding job: %v", err)
		}
	})
	<-running
	return func() { close(stop); wg.Wait() }
}

// waitQueued waits until n jobs wait in g's queue.
func waitQueued(t *testing.T, g *groupCommit, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		g.mu.Lock()
		q := len(g.queue)
		g.mu.Unlock()
		if q >= n {
			return
		}
	}
	t.Fatalf("%d jobs never queued", n)
}

// count returns the rows of gc_test, read after the commits.
func count(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM gc_test`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// batch runs fns as queued jobs of one batch, in order, and returns each
// caller's error.
func batch(t *testing.T, g *groupCommit, fns ...txFunc) []error {
	t.Helper()
	release := hold(t, g)
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = g.do(context.Background(), nil, fn) })
		waitQueued(t, g, i+1) // in this order
	}
	release()
	wg.Wait()
	return errs
}

func insertN(n int) txFunc {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO gc_test (n) VALUES (?)`, n)
		return err
	}
}

func TestGroupCommitSharesOneTransaction(t *testing.T) {
	s, g := committer(t)
	const n = 5
	var txs []*sql.Tx
	var seen []int
	fns := make([]txFunc, n)
	for i := range fns {
		fns[i] = func(ctx context.Context, tx *sql.Tx) error {
			var before int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM gc_test`).Scan(&before); err != nil {
				return err
			}
			txs, seen = append(txs, tx), append(seen, before)
			return insertN(i)(ctx, tx)
		}
	}
	for i, err := range batch(t, g, fns...) {
		if err != nil {
			t.Errorf("job %d: %v", i, err)
		}
	}
	for i := range txs {
		if txs[i] != txs[0] {
			t.Errorf("job %d ran in another transaction than job 0", i)
		}
		if seen[i] != i {
			t.Errorf("job %d saw %d rows before its own, want the %d of the jobs before it", i, seen[i], i)
		}
	}
	if got := count(t, s); got != n {
		t.Errorf("%d rows committed, want %d", got, n)
	}
}

func TestGroupCommitFailureUndoesItsOwnChanges(t *testing.T) {
	s, g := committer(t)
	errOwn := errors.New("refused by the job")
	errs := batch(t, g, insertN(1),
		func(ctx context.Context, tx *sql.Tx) error {
			if err := insertN(2)(ctx, tx); err != nil {
				return err
			}
			return errOwn
		},
		insertN(3))
	if errs[0] != nil || errs[2] != nil {
		t.Errorf("the other jobs failed: %v, %v", errs[0], errs[2])
	}
	if errs[1] != errOwn {
		t.Errorf("failing job's error = %v, want its own, unwrapped", errs[1])
	}
	var got []int
	rows, err := s.r.Query(`SELECT n FROM gc_test ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n int
		rows.Scan(&n)
		got = append(got, n)
	}
	if fmt.Sprint(got) != "[1 3]" {
		t.Errorf("committed rows %v, want [1 3]: the failed job's insert undone, the others kept", got)
	}
}

// TestGroupCommitStatements: statement jobs (doStatement) share the batch
// without savepoints; one that fails fails the whole batch, as a failed
// COMMIT does, and the committer takes the next batch.
func TestGroupCommitStatements(t *testing.T) {
	s, g := committer(t)
	statements := func(fns ...txFunc) []error {
		release := hold(t, g)
		errs := make([]error, len(fns))
		var wg sync.WaitGroup
		for i, fn := range fns {
			wg.Go(func() {
				if i == 0 { // an ordinary job among them
					errs[i] = g.do(context.Background(), nil, fn)
				} else {
					errs[i] = g.doStatement(context.Background(), fn)
				}
			})
			waitQueued(t, g, i+1)
		}
		release()
		wg.Wait()
		return errs
	}
	for i, err := range statements(insertN(1), insertN(2), insertN(3)) {
		if err != nil {
			t.Errorf("job %d: %v", i, err)
		}
	}
	if got := count(t, s); got != 3 {
		t.Errorf("%d rows committed, want 3", got)
	}
	bad := func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO gc_test (n) VALUES (NULL)`) // NOT NULL
		return err
	}
	errs := statements(insertN(4), bad, insertN(5))
	for i, err := range errs {
		if err == nil {
			t.Errorf("job %d of the batch with a failed statement: no error, want the batch failed", i)
		}
	}
	if got := count(t, s); got != 3 {
		t.Errorf("%d rows committed, want still 3: nothing of the failed batch", got)
	}
	if err := g.doStatement(context.Background(), insertN(6)); err != nil || count(t, s) != 4 {
		t.Errorf("the next statement: %v, %d rows; want it committed", err, count(t, s))
	}
}

// TestGroupCommitCommitFailure: a COMMIT that fails (here on a deferred
// foreign key one job broke) is every job's error, none of their changes
// is kept, and the connection takes the next batch.
func TestGroupCommitCommitFailure(t *testing.T) {
	s, g := committer(t)
	errs := batch(t, g, insertN(1), func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO gc_test (n, input_id) VALUES (2, 999)`)
		return err
	})
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "commit") {
			t.Errorf("job %d: error %v, want the commit's", i, err)
		}
	}
	if got := count(t, s); got != 0 {
		t.Errorf("%d rows after a failed commit, want 0", got)
	}
	if err := g.do(context.Background(), nil, insertN(3)); err != nil {
		t.Fatalf("next job after a failed commit: %v", err)
	}
	if got := count(t, s); got != 1 {
		t.Errorf("%d rows after the next job, want 1", got)
	}
}

func TestGroupCommitPanicIsTheCallers(t *testing.T) {
	s, g := committer(t)
	release := hold(t, g)
	var panicked any
	var errOther error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer func() { panicked = recover() }()
		g.do(context.Background(), nil, func(ctx context.Context, tx *sql.Tx) error {
			insertN(1)(ctx, tx)
			panic("job bug")
		})
	})
	waitQueued(t, g, 1)
	wg.Go(func() { errOther = g.do(context.Background(), nil, insertN(2)) })
	waitQueued(t, g, 2)
	release()
	wg.Wait()
	if panicked != "job bug" {
		t.Errorf("caller recovered %v, want the job's panic", panicked)
	}
	if errOther != nil {
		t.Errorf("the other job of the batch: %v", errOther)
	}
	if got := count(t, s); got != 1 {
		t.Errorf("%d rows, want 1: the panicking job's insert undone", got)
	}
}

// TestGroupCommitContext: a caller that gives up while its job is queued
// returns at once and its job never runs; a job that runs is not
// interrupted by its context ending, and its caller learns the commit's
// outcome.
func TestGroupCommitContext(t *testing.T) {
	s, g := committer(t)
	release := hold(t, g)
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error)
	go func() { gaveUp <- g.do(ctx, nil, insertN(1)) }()
	waitQueued(t, g, 1)
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Errorf("queued job whose context ended: %v, want context.Canceled", err)
	}
	release()

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	err := g.do(ctx, nil, func(jctx context.Context, tx *sql.Tx) error {
		cancel()
		if jctx.Err() != nil {
			return errors.New("the job's context ends with its caller's")
		}
		return insertN(2)(jctx, tx)
	})
	if err != nil {
		t.Errorf("job whose caller's context ended while it ran: %v, want its commit", err)
	}
	if got := count(t, s); got != 1 {
		t.Errorf("%d rows, want 1 (the abandoned job never ran)", got)
	}
	if err := g.do(ctx, nil, insertN(3)); !errors.Is(err, context.Canceled) {
		t.Errorf("job submitted with an ended context: %v, want context.Canceled", err)
	}
}

// TestGroupCommitDirectories: a job's directories are fsynced before it
// runs; one that cannot be fails that job alone.
func TestGroupCommitDirectories(t *testing.T) {
	s, g := committer(t)
	missing := filepath.Join(t.TempDir(), "gone")
	ran := false
	release := hold(t, g)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Go(func() {
		errs[0] = g.do(context.Background(), []string{s.dir, missing}, func(context.Context, *sql.Tx) error {
			ran = true
			return nil
		})
	})
	waitQueued(t, g, 1)
	wg.Go(func() { errs[1] = g.do(context.Background(), []string{s.dir}, insertN(1)) })
	waitQueued(t, g, 2)
	release()
	wg.Wait()
	if errs[0] == nil || !strings.Contains(errs[0].Error(), "gone") || ran {
		t.Errorf("job with a missing directory: %v (ran %v), want its sync error and no run", errs[0], ran)
	}
	if errs[1] != nil || count(t, s) != 1 {
		t.Errorf("job of the same batch: %v, %d rows; want it committed", errs[1], count(t, s))
	}
}

func TestGroupCommitAfterClose(t *testing.T) {
	s, g := committer(t)
	release := hold(t, g)
	queued := make(chan error)
	go func() { queued <- g.do(context.Background(), nil, insertN(1)) }()
	waitQueued(t, g, 1)
	closed := make(chan struct{})
	go func() { g.close(); close(closed) }()
	for {
		g.mu.Lock()
		c := g.closed
		g.mu.Unlock()
		if c {
			break
		}
		time.Sleep(time.Millisecond)
	}
	release()
	<-closed
	if err := <-queued; !errors.Is(err, errStoreClosed) {
		t.Errorf("job queued at close: %v, want errStoreClosed", err)
	}
	if err := s.RecordAdmin(context.Background(), 0, "after close"); !errors.Is(err, errStoreClosed) {
		t.Errorf("write after close: %v, want errStoreClosed", err)
	}
}

// TestConcurrentWrites runs every kind of write from many goroutines at
// once: each commits exactly its own changes, and the audit chain stays
// one verified chain.
func TestConcurrentWrites(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := context.Background()
		s := e.open(t, Options{})
		const workers, each = 6, 8
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					body := fmt.Sprintf("input %d.%d", w, i)
					c, err := s.AcceptConverted(ctx, envelope([]byte(body)), func(in Input) (Conversion, error) {
						if i%3 == 0 {
							return Conversion{Refusal: docbridge.Errorf(docbridge.Malformed, "not XML")}, nil
						}
						return Conversion{Docs: []NewDocument{{Doc: newDoc("urn:oid:9."+body, "doc of "+body), State: docbridge.Converted}}}, nil
					})
					if err != nil {
						t.Errorf("AcceptConverted %s: %v", body, err)
						return
					}
					for _, r := range c.Docs {
						if err := s.Transition(ctx, Transition{ID: r.ID, From: docbridge.Converted, To: docbridge.Matched, Actor: "match"}); err != nil {
							t.Errorf("Transition: %v", err)
						}
					}
					if err := s.RecordAdmin(audit.WithActor(ctx, fmt.Sprintf("user:%d", w)), 0, "looked"); err != nil {
						t.Errorf("RecordAdmin: %v", err)
					}
				}
			})
		}
		wg.Wait()
		refused := 0
		for i := range each {
			if i%3 == 0 {
				refused++
			}
		}
		converted := workers * (each - refused)
		counts, err := s.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if counts[docbridge.Matched] != converted {
			t.Errorf("%d matched documents, want %d", counts[docbridge.Matched], converted)
		}
		res, err := s.VerifyAudit(ctx, nil)
		if err != nil {
			t.Fatalf("VerifyAudit: %v", err)
		}
		// Per input: accepted and an admin record, then failed, or
		// created, converted and a transition.
		if want := int64(workers*each*2 + workers*refused + 3*converted); res.Records != want {
			t.Errorf("%d audit records, want %d", res.Records, want)
		}
	})
}
