package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
)

// FolderOptions configures a Folder intake.
type FolderOptions struct {
	Name   string // the intake's name in the store and logs; "" means "folder"
	Dir    string // the watched drop folder; required
	Done   string // where accepted files go; "" means Dir/done
	Failed string // where refused files go; "" means Dir/failed
	// Processing is where a file is claimed, by an atomic rename, before it
	// is read; "" means Dir/processing/<Instance>.
	Processing string
	// Instance names this process among several sharing the folder; ""
	// means the host name.
	Instance string
	// Poll turns inotify off: the folder is only rescanned every Rescan,
	// for network shares where inotify sees nothing of remote writes.
	Poll bool
	Sink docbridge.Sink // required
	// Settle is how long a file written in place must stay unchanged before
	// it is taken; 0 means 2 s.
	Settle time.Duration
	// Quick is how long a new file must see no write before it counts as
	// renamed in (taken at once); 0 means 100 ms.
	Quick time.Duration
	// Rescan is the period of the full directory scan that catches events
	// inotify lost (overflow, network filesystems); 0 means 30 s, or 2 s
	// when polling.
	Rescan time.Duration
	Log    zerolog.Logger
	Now    func() time.Time // nil means time.Now

	// SidecarGrace is how long a ready PDF without sidecar waits for one
	// before it goes alone (sidecar.go); 0 means DefaultSidecarGrace,
	// negative means no wait.
	SidecarGrace time.Duration
	// SidecarMax is how long a sidecar waits for its PDF before it is
	// refused (failed/ with a reason file, an alert in the log); 0 means
	// DefaultSidecarMax.
	SidecarMax time.Duration

	// Concurrency is how many claimed files are taken at once (handed to
	// the Sink, then moved to done/ or failed/), each by its own
	// goroutine; 0 means DefaultConcurrency. Files are claimed only as
	// workers free up, so other instances sharing the folder take the rest.
	Concurrency int
}

// DefaultConcurrency is how many files a drop folder takes at once when
// FolderOptions.Concurrency is 0.
const DefaultConcurrency = 4

// Folder is a drop-folder intake: fsnotify events plus a periodic rescan.
type Folder struct {
	o       FolderOptions
	files   map[string]*candidate // by base name: files in the folder not yet claimed
	claimed map[string]*candidate // by base name: files in Processing not yet finished
	syncs   dirSyncer             // directory fsyncs, grouped across workers

	// Files being taken: Run's loop starts at most o.Concurrency workers
	// (claim.go), each owns its file's candidate until it sends its
	// result; Run waits for them before it returns.
	busy    int
	results chan takeResult
	workers sync.WaitGroup
}

// candidate is a file in the drop folder on its way to being taken.
type candidate struct {
	lastEvent     time.Time
	wrote         bool // a write was seen, or the history is unknown (found by a scan)
	size          int64
	mtime         time.Time
	retryAt       time.Time // after a failure, not before
	failures      int       // consecutive failures, for the backoff
	pairSince     time.Time // when a ready PDF or sidecar started waiting for its pair
	orig          string    // for a claimed file: its name in the drop folder
	renamedIn     bool      // the renamed-in hint saw it, unchanged since: ready at once
	taking        bool      // for a claimed file: a worker is taking it
	claimUnsynced bool      // for a claimed file: its removal from the drop folder is not yet known durable (claimedFrom)
	// claimedAs is, for a file this run claimed, what the claim's rename
	// moved (Lstat right after it); nil for a file found claimed at start.
	claimedAs os.FileInfo
}

// NewFolder checks the options and creates the done and failed folders.
func NewFolder(o FolderOptions) (*Folder, error) {
	if o.Dir == "" || o.Sink == nil {
		return nil, errors.New("watch: folder intake needs Dir and Sink")
	}
	if o.Name == "" {
		o.Name = "folder"
	}
	if o.Done == "" {
		o.Done = filepath.Join(o.Dir, "done")
	}
	if o.Failed == "" {
		o.Failed = filepath.Join(o.Dir, "failed")
	}
	if o.Instance == "" {
		o.Instance, _ = os.Hostname()
		if o.Instance == "" {
			o.Instance = "local"
		}
	}
	if o.Processing == "" {
		o.Processing = filepath.Join(o.Dir, "processing", o.Instance)
	}
	if o.Settle <= 0 {
		o.Settle = 2 * time.Second
	}
	if o.Quick <= 0 {
		o.Quick = 100 * time.Millisecond
	}
	if o.Rescan <= 0 {
		o.Rescan = 30 * time.Second
		if o.Poll {
			o.Rescan = 2 * time.Second
		}
	}
	if o.SidecarGrace == 0 {
		o.SidecarGrace = DefaultSidecarGrace
	}
	if o.SidecarMax <= 0 {
		o.SidecarMax = DefaultSidecarMax
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	for _, d := range []string{o.Dir, o.Done, o.Failed, o.Processing} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("create folder %s: %w", d, err)
		}
	}
	return &Folder{o: o, files: map[string]*candidate{}, claimed: map[string]*candidate{},
		results: make(chan takeResult, o.Concurrency)}, nil
}

// Ignored reports whether a name in the drop folder is never taken:
// hidden and temporary names, and docbridge's own reason files.
func Ignored(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".tmp") ||
		strings.HasSuffix(name, ".part") || strings.HasSuffix(name, ".reason.json")
}

// Run watches the folder until ctx is done. It first finishes the files a
// previous run of this instance had claimed, then scans the folder at
// start, after an inotify overflow and every Rescan. It returns nil on a
// clean stop and an error when the folder cannot be watched at all.
func (f *Folder) Run(ctx context.Context) error {
	var events <-chan fsnotify.Event
	var errs <-chan error
	if !f.o.Poll {
		w, err := fsnotify.NewWatcher()
		if err != nil {
			return fmt.Errorf("watch %s: %w", f.o.Dir, err)
		}
		defer w.Close()
		if err := w.Add(f.o.Dir); err != nil {
			return fmt.Errorf("watch %s: %w", f.o.Dir, err)
		}
		events, errs = w.Events, w.Errors
	}
	var renamed <-chan string
	if !f.o.Poll {
		ch, stop, err := renamedIn(f.o.Dir)
		if err != nil {
			f.o.Log.Warn().Err(err).Str("intake", f.o.Name).Msg("renamed-in files will wait for the quiet window")
		} else {
			defer stop()
			renamed = ch
		}
	}
	lock, err := f.lockProcessing()
	if err != nil {
		return fmt.Errorf("watch %s: %w", f.o.Dir, err)
	}
	defer lock.Close()
	defer f.workers.Wait() // the files being taken finish (or stop with ctx) before the lock goes
	f.o.Log.Info().Str("intake", f.o.Name).Bool("poll", f.o.Poll).Msg("drop folder watched")
	f.scanClaimed()
	f.adoptOrphans()
	f.scan()
	tick := time.NewTicker(min(f.o.Quick/2, 50*time.Millisecond))
	defer tick.Stop()
	rescan := time.NewTicker(f.o.Rescan)
	defer rescan.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case name, ok := <-renamed:
			if !ok {
				renamed = nil
				continue
			}
			f.renamed(name)
			f.drainRenamed(renamed)
			f.takeReady(ctx)
		case r := <-f.results:
			// Files already claimed go first: new drops never starve them.
			f.finished(r)
			f.finishClaimed(ctx)
			f.takeReady(ctx)
		case ev, ok := <-events:
			if !ok {
				return errors.New("watch: fsnotify closed its event channel")
			}
			f.event(ev)
		case err, ok := <-errs:
			if !ok {
				return errors.New("watch: fsnotify closed its error channel")
			}
			f.o.Log.Warn().Err(err).Str("intake", f.o.Name).Msg("watcher error; rescanning the folder")
			f.scan()
		case <-rescan.C:
			f.adoptOrphans()
			f.scan()
		case <-tick.C:
			f.finishClaimed(ctx)
			f.takeReady(ctx)
		}
	}
}

func (f *Folder) event(ev fsnotify.Event) {
	if filepath.Dir(ev.Name) != filepath.Clean(f.o.Dir) {
		return
	}
	name := filepath.Base(ev.Name)
	if Ignored(name) {
		return
	}
	now := f.o.Now()
	switch {
	case ev.Has(fsnotify.Create):
		if c, ok := f.files[name]; ok {
			if !c.renamedIn { // a rename in is seen by both watches
				c.lastEvent, c.wrote = now, true
			}
			return
		}
		f.files[name] = f.stat(name, now, false)
	case ev.Has(fsnotify.Write), ev.Has(fsnotify.Chmod):
		c, ok := f.files[name]
		if !ok {
			c = &candidate{}
			f.files[name] = c
		}
		c.lastEvent, c.wrote, c.renamedIn = now, true, false
	case ev.Has(fsnotify.Remove), ev.Has(fsnotify.Rename):
		delete(f.files, name)
	}
}

// scan adds every entry of the folder not already known. A file found by a
// scan has an unknown history, so it must settle. A directory is not taken:
// it gets a reason file beside it, once (noteDirectory).
func (f *Folder) scan() {
	entries, err := os.ReadDir(f.o.Dir)
	if err != nil {
		f.o.Log.Error().Err(err).Str("intake", f.o.Name).Msg("cannot list the drop folder")
		return
	}
	now := f.o.Now()
	for _, e := range entries {
		if Ignored(e.Name()) {
			continue
		}
		if e.IsDir() {
			f.noteDirectory(e.Name())
			continue
		}
		if _, ok := f.files[e.Name()]; !ok {
			f.files[e.Name()] = f.stat(e.Name(), now, true)
		}
	}
}

func (f *Folder) stat(name string, now time.Time, wrote bool) *candidate {
	c := &candidate{lastEvent: now, wrote: wrote}
	if fi, err := os.Lstat(filepath.Join(f.o.Dir, name)); err == nil {
		c.size, c.mtime = fi.Size(), fi.ModTime()
	}
	return c
}

// takeReady claims and takes the files that are ready, as many as there
// are free workers: renamed in (seen by the renamed-in hint and unchanged
// since) or settled (no event for the quick window, unchanged for Settle
// when written in place).
func (f *Folder) takeReady(ctx context.Context) {
	now := f.o.Now()
	var batch []string
	for name, c := range f.files {
		if ctx.Err() != nil || len(batch) >= f.free() {
			break
		}
		quiet := now.Sub(c.lastEvent)
		if now.Before(c.retryAt) || (!c.renamedIn && (quiet < f.o.Quick || (c.wrote && quiet < f.o.Settle))) {
			continue
		}
		fi, err := os.Lstat(filepath.Join(f.o.Dir, name))
		if err != nil {
			delete(f.files, name)
			continue
		}
		if !fi.Mode().IsRegular() {
			if fi.IsDir() {
				delete(f.files, name)
				f.noteDirectory(name)
				continue
			}
			// A symbolic link, FIFO, socket or device has no content of
			// its own to wait for: it is claimed as it is (the rename
			// moves the entry, never what a link points to) and take
			// refuses it into failed/.
			batch = append(batch, name)
			continue
		}
		if fi.Size() != c.size || !fi.ModTime().Equal(c.mtime) || (fi.Size() == 0 && !c.wrote && !c.renamedIn) {
			// Still changing, or empty and perhaps about to be written: it
			// must now settle. An empty file that settles is taken (and
			// refused as empty).
			c.size, c.mtime, c.lastEvent, c.wrote, c.renamedIn = fi.Size(), fi.ModTime(), now, true, false
			continue
		}
		if f.waitsForPair(name, c, now) {
			continue
		}
		batch = append(batch, name)
	}
	f.claimAndTake(ctx, batch)
}

// renamed marks a file the kernel says was renamed into the folder as
// ready at once: by the drop-folder convention it is complete. A file
// already waiting with a write seen (written in place, then renamed over)
// keeps waiting. takeReady claims it when a worker is free.
func (f *Folder) renamed(name string) {
	if Ignored(name) {
		return
	}
	c, ok := f.files[name]
	switch {
	case ok && (c.wrote || f.o.Now().Before(c.retryAt)):
		return
	case !ok:
		c = &candidate{lastEvent: f.o.Now()}
		f.files[name] = c
	}
	fi, err := os.Lstat(filepath.Join(f.o.Dir, name))
	if err != nil {
		delete(f.files, name)
		return
	}
	c.size, c.mtime, c.renamedIn = fi.Size(), fi.ModTime(), true
}

// scanClaimed lists the files a previous run of this instance claimed and
// did not finish (a crash): they are taken again; the store recognises what
// it already has.
func (f *Folder) scanClaimed() {
	entries, err := os.ReadDir(f.o.Processing)
	if err != nil {
		f.o.Log.Error().Err(err).Str("intake", f.o.Name).Msg("cannot list the processing folder")
		return
	}
	for _, e := range entries {
		if !e.IsDir() && e.Name() != lockName && !f.pairedSidecar(e.Name()) {
			f.claimed[e.Name()] = &candidate{}
		}
	}
}
