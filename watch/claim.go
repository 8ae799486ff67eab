package watch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/docbridge/docbridge"
)

// takeResult is what a worker reports to Run's loop when it is done with
// a claimed file: err != nil means the file stays claimed and is tried
// again later.
type takeResult struct {
	name string
	c    *candidate
	err  error
}

// free returns how many more files workers can take now.
func (f *Folder) free() int { return f.o.Concurrency - f.busy }

// claimAndTake claims the ready files of batch, names of the drop folder,
// and starts a worker on each. A claim is a rename into the processing
// folder, made durable with the file's move to done/ or failed/
// (claimedFrom). A file another instance claimed first is forgotten.
func (f *Folder) claimAndTake(ctx context.Context, batch []string) {
	for _, name := range batch {
		c := f.files[name]
		dst, err := f.renameInto(filepath.Join(f.o.Dir, name), f.o.Processing, shortName(name))
		switch {
		case errors.Is(err, os.ErrNotExist):
			delete(f.files, name) // another instance claimed it first
		case err != nil:
			f.backoff(c, name, err, "cannot claim the dropped file (rename into processing/)")
		default:
			delete(f.files, name)
			claimed := filepath.Base(dst)
			cc := &candidate{orig: name, claimUnsynced: true}
			if as, err := os.Lstat(dst); err == nil {
				cc.claimedAs = as
			}
			f.claimed[claimed] = cc
			f.start(ctx, claimed, cc)
		}
	}
}

// claimedFrom returns the drop folder when c's claim (a rename out of
// it) is not yet known durable, so that the move that finishes the file
// makes that removal durable too (syncMove): a file reported done never
// comes back into the drop folder after a crash. A claim needs no fsync
// of its own: until the file is moved on, a crash leaves it in the drop
// folder or in processing/, and either way it is taken again and the
// store recognises it.
func (f *Folder) claimedFrom(c *candidate) []string {
	if c != nil && c.claimUnsynced {
		return []string{f.o.Dir}
	}
	return nil
}

// finishClaimed starts workers on the claimed files not being taken whose
// retry time has come: files found claimed at start, and files whose last
// attempt failed.
func (f *Folder) finishClaimed(ctx context.Context) {
	now := f.o.Now()
	for name, c := range f.claimed {
		if ctx.Err() != nil || f.free() <= 0 {
			return
		}
		if !c.taking && !now.Before(c.retryAt) {
			f.start(ctx, name, c)
		}
	}
}

// start hands a claimed file to a worker goroutine, which owns c until it
// sends its result to f.results (read by Run's loop, see finished).
func (f *Folder) start(ctx context.Context, name string, c *candidate) {
	c.taking = true
	f.busy++
	f.workers.Add(1)
	go func() {
		defer f.workers.Done()
		err := f.take(ctx, name, c)
		f.results <- takeResult{name: name, c: c, err: err} // never blocks: cap(results) == Concurrency
	}()
}

// finished records a worker's result: a file taken is forgotten; on
// failure it stays claimed and is retried with a growing delay, so a file
// that cannot be stored or moved never loops and never blocks the others.
func (f *Folder) finished(r takeResult) {
	r.c.taking = false
	f.busy--
	if r.err != nil {
		f.backoff(r.c, r.name, r.err, "cannot finish the claimed file")
		return
	}
	delete(f.claimed, r.name)
}

// drainRenamed marks as ready the names already waiting in the renamed-in
// channel (at most 256), so that files renamed in together are claimed in
// one batch.
func (f *Folder) drainRenamed(renamed <-chan string) {
	for range 256 {
		select {
		case name, ok := <-renamed:
			if !ok {
				return
			}
			f.renamed(name)
		default:
			return
		}
	}
}

// backoff schedules the next attempt for a file after a failure: 1 s, 2 s,
// 4 s … up to 10 min. It logs the first failure and then every tenth.
func (f *Folder) backoff(c *candidate, name string, err error, msg string) {
	c.failures++
	d := time.Second << min(c.failures-1, 10)
	c.retryAt = f.o.Now().Add(min(d, 10*time.Minute))
	if c.failures == 1 || c.failures%10 == 0 {
		f.o.Log.Error().Err(err).Str("intake", f.o.Name).Str("file_ref", docbridge.Ref(name)).Int("failures", c.failures).Time("retry", c.retryAt).Msg(msg)
	}
}

// claim renames one file of the folder into this instance's processing
// folder, which makes it this instance's alone, and makes the rename
// durable. It returns the claimed name: shortName(name), with a suffix
// when a file of that name is already being processed.
func (f *Folder) claim(name string) (string, error) {
	dst, err := f.moveInto(filepath.Join(f.o.Dir, name), f.o.Processing, shortName(name))
	if err != nil {
		return "", err
	}
	return filepath.Base(dst), nil
}
