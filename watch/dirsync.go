package watch

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
)

// dirSyncer makes renames durable with as few directory fsyncs as it can:
// group commit for directories. sync(dir) returns once an fsync of dir
// that began after the call did has finished, so whatever the caller
// renamed into or out of dir before calling is durable when it returns;
// callers that ask while an fsync of dir is running share the next one.
// The zero value is ready; it is safe for concurrent use.
type dirSyncer struct {
	mu   sync.Mutex
	dirs map[string]*dirSync
	// fsyncs counts the directory fsyncs made, for the tests.
	fsyncs int64
}

// dirSync is the group commit of one directory: tickets are handed out in
// order; an fsync covers every ticket issued before it began.
type dirSync struct {
	run    sync.Mutex // held while an fsync of the directory runs
	issued uint64     // last ticket handed out (guarded by dirSyncer.mu)
	done   uint64     // every ticket up to done is durable, or got err
	err    error      // the result of the fsync that set done
}

// sync fsyncs dir, or waits for an fsync of dir that began after this
// call. Its errors carry no path (pathless).
func (s *dirSyncer) sync(dir string) error {
	dir = filepath.Clean(dir)
	s.mu.Lock()
	if s.dirs == nil {
		s.dirs = map[string]*dirSync{}
	}
	d := s.dirs[dir]
	if d == nil {
		d = &dirSync{}
		s.dirs[dir] = d
	}
	d.issued++
	ticket := d.issued
	s.mu.Unlock()

	d.run.Lock()
	defer d.run.Unlock()
	s.mu.Lock()
	if d.done >= ticket {
		err := d.err
		s.mu.Unlock()
		return err // an fsync that began after the ticket covered it
	}
	covers := d.issued // every ticket so far: their renames came before this fsync
	s.fsyncs++
	s.mu.Unlock()
	err := syncDir(dir)
	s.mu.Lock()
	d.done, d.err = covers, err
	s.mu.Unlock()
	return err
}

// syncMove makes renames out of the folders from into the folder to
// durable: to first (the new entries: a crash before the removals are
// durable leaves a file in two places, never in none), then the folders
// from together (dirSyncer).
func (s *dirSyncer) syncMove(to string, from ...string) error {
	if err := s.sync(to); err != nil {
		return err
	}
	if len(from) == 1 {
		return s.sync(from[0])
	}
	errs := make([]error, len(from))
	var wg sync.WaitGroup
	for i, dir := range from {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.sync(dir)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// count returns how many directory fsyncs s made.
func (s *dirSyncer) count() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fsyncs
}

// syncDir fsyncs a directory. Its errors carry no path (pathless).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return pathless(err)
	}
	defer d.Close()
	return pathless(d.Sync())
}
