package watch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
)

// inFlightSink counts the Accepts running at once and how often each
// source was accepted; each Accept takes hold long.
type inFlightSink struct {
	hold time.Duration

	mu       sync.Mutex
	now, max int
	count    map[string]int
	sidecars map[string]string // source → its sidecar's content
}

func (s *inFlightSink) Accept(ctx context.Context, e *docbridge.Envelope) (docbridge.Accepted, error) {
	s.mu.Lock()
	s.now++
	s.max = max(s.max, s.now)
	s.mu.Unlock()
	time.Sleep(s.hold)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now--
	if s.count == nil {
		s.count, s.sidecars = map[string]int{}, map[string]string{}
	}
	s.count[e.Source]++
	s.sidecars[e.Source] = string(e.Sidecar)
	return docbridge.Accepted{ID: int64(len(s.count)), State: docbridge.Converted}, nil
}

func (s *inFlightSink) snapshot() (maxInFlight int, count map[string]int, sidecars map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	count, sidecars = map[string]int{}, map[string]string{}
	for k, v := range s.count {
		count[k] = v
	}
	for k, v := range s.sidecars {
		sidecars[k] = v
	}
	return s.max, count, sidecars
}

// sinkFunc is a docbridge.Sink made of a function.
type sinkFunc func(context.Context, *docbridge.Envelope) (docbridge.Accepted, error)

func (f sinkFunc) Accept(ctx context.Context, e *docbridge.Envelope) (docbridge.Accepted, error) {
	return f(ctx, e)
}

// TestFilesDroppedAtOnceAreTakenConcurrentlyAndOnce: N files renamed in
// together are each accepted exactly once and moved to done/, with up to
// Concurrency Accepts at once and never more.
func TestFilesDroppedAtOnceAreTakenConcurrentlyAndOnce(t *testing.T) {
	for _, tc := range []struct {
		concurrency, files int
	}{
		{1, 20},
		{4, 60},
		{8, 100},
	} {
		t.Run(fmt.Sprintf("concurrency=%d", tc.concurrency), func(t *testing.T) {
			sink := &inFlightSink{hold: 20 * time.Millisecond}
			dir := t.TempDir()
			f := runFolder(t, FolderOptions{Dir: dir, Sink: sink, Concurrency: tc.concurrency, Rescan: time.Hour})
			time.Sleep(50 * time.Millisecond)
			for i := range tc.files {
				dropFile(t, dir, fmt.Sprintf("f%03d.xml", i), fmt.Sprintf("<doc n=\"%d\"/>", i))
			}
			eventually(t, "all files in done/", func() bool {
				e, _ := os.ReadDir(filepath.Join(dir, "done"))
				return len(e) == tc.files
			})
			maxIn, count, _ := sink.snapshot()
			if len(count) != tc.files {
				t.Errorf("%d files accepted, want %d", len(count), tc.files)
			}
			for name, n := range count {
				if n != 1 {
					t.Errorf("%s accepted %d times, want 1", name, n)
				}
			}
			if maxIn > tc.concurrency {
				t.Errorf("%d Accepts at once, want at most %d", maxIn, tc.concurrency)
			}
			if tc.concurrency > 1 && maxIn < 2 {
				t.Errorf("at most %d Accept at once with concurrency %d: files were taken one at a time", maxIn, tc.concurrency)
			}
			if e, _ := os.ReadDir(f.o.Processing); len(e) != 1 { // the lock file
				t.Errorf("processing/ holds %d entries after the run, want the lock only", len(e))
			}
			// Claims and moves to done/ are durable in groups: far fewer
			// directory fsyncs than the four per file of one file at a time.
			t.Logf("%d directory fsyncs for %d files", f.syncs.count(), tc.files)
			if got, limit := f.syncs.count(), int64(4*tc.files); tc.concurrency > 1 && got >= limit {
				t.Errorf("%d directory fsyncs for %d files, want fewer than %d (grouped)", got, tc.files, limit)
			}
		})
	}
}

// TestPairsDroppedAtOnceStayTogether: PDFs and their sidecars dropped
// together (sidecar first, as the contract says) are each taken with
// their own sidecar, concurrently, and moved to done/ under one stem.
func TestPairsDroppedAtOnceStayTogether(t *testing.T) {
	sink := &inFlightSink{hold: 10 * time.Millisecond}
	dir := t.TempDir()
	runFolder(t, FolderOptions{Dir: dir, Sink: sink, Concurrency: 4, Rescan: time.Hour, SidecarGrace: 5 * time.Second})
	time.Sleep(50 * time.Millisecond)
	const n = 30
	for i := range n {
		dropFile(t, dir, fmt.Sprintf("p%02d.json", i), fmt.Sprintf(`{"title": "pair %02d"}`, i))
		dropFile(t, dir, fmt.Sprintf("p%02d.pdf", i), pdfBody)
	}
	eventually(t, "all pairs in done/", func() bool {
		e, _ := os.ReadDir(filepath.Join(dir, "done"))
		return len(e) == 2*n
	})
	maxIn, count, sidecars := sink.snapshot()
	if len(count) != n {
		t.Errorf("%d inputs, want %d (a sidecar taken on its own?)", len(count), n)
	}
	for i := range n {
		pdf := fmt.Sprintf("p%02d.pdf", i)
		if count[pdf] != 1 {
			t.Errorf("%s accepted %d times, want 1", pdf, count[pdf])
		}
		if got, want := sidecars[pdf], fmt.Sprintf(`{"title": "pair %02d"}`, i); got != want {
			t.Errorf("%s came with sidecar %q, want %q", pdf, got, want)
		}
		for _, done := range []string{pdf, strings.TrimSuffix(pdf, ".pdf") + ".json"} {
			if !exists(filepath.Join(dir, "done", done)) {
				t.Errorf("done/%s missing", done)
			}
		}
	}
	if maxIn < 2 {
		t.Errorf("at most %d Accept at once: pairs were taken one at a time", maxIn)
	}
}

// TestStopWaitsForFilesBeingTaken: Run returns only once the workers are
// done, and a file whose Accept was cut short by the stop stays claimed,
// to be finished by the next run.
func TestStopWaitsForFilesBeingTaken(t *testing.T) {
	dir := t.TempDir()
	started := make(chan struct{}, 4)
	var finished sync.WaitGroup
	sink := &fakeSink{accept: func(string, []byte) (docbridge.Accepted, error) {
		return docbridge.Accepted{ID: 1, State: docbridge.Converted}, nil
	}}
	blocking := sinkFunc(func(ctx context.Context, e *docbridge.Envelope) (docbridge.Accepted, error) {
		finished.Add(1)
		defer finished.Done()
		started <- struct{}{}
		<-ctx.Done()
		return docbridge.Accepted{}, ctx.Err()
	})
	f, err := NewFolder(FolderOptions{Dir: dir, Sink: blocking, Concurrency: 4, Rescan: time.Hour, Instance: "one"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	time.Sleep(50 * time.Millisecond)
	for i := range 3 {
		dropFile(t, dir, fmt.Sprintf("s%d.xml", i), "<doc/>")
	}
	for range 3 {
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("the files were not taken at once")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	finished.Wait() // returns at once if Run waited for the workers
	e, _ := os.ReadDir(f.o.Processing)
	if len(e) != 4 { // three claimed files and the lock
		t.Errorf("processing/ holds %d entries after the stop, want 3 files and the lock", len(e))
	}
	runFolder(t, FolderOptions{Dir: dir, Sink: sink, Concurrency: 4, Rescan: time.Hour, Instance: "one"})
	eventually(t, "the claimed files finished by the next run", func() bool {
		return sink.has("s0.xml") && sink.has("s1.xml") && sink.has("s2.xml")
	})
}

// TestDirSyncerGroupsConcurrentCallers: callers at once share fsyncs;
// callers one after another each get their own (an fsync that began
// before a call never covers it). Its errors name no path.
func TestDirSyncerGroupsConcurrentCallers(t *testing.T) {
	dir := t.TempDir()
	var s dirSyncer
	for range 5 {
		if err := s.sync(dir); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.count(); got != 5 {
		t.Errorf("5 calls in turn made %d fsyncs, want 5", got)
	}
	// Ten callers arrive while an fsync runs (the run lock held): the
	// next fsync covers all ten.
	d := s.dirs[filepath.Clean(dir)]
	d.run.Lock()
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.sync(dir); err != nil {
				t.Error(err)
			}
		}()
	}
	eventually(t, "ten callers waiting", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return d.issued == 15
	})
	d.run.Unlock()
	wg.Wait()
	if got := s.count() - 5; got != 1 {
		t.Errorf("10 calls waiting together made %d fsyncs, want 1", got)
	}
	if err := s.sync(filepath.Join(dir, "missing")); err == nil {
		t.Error("sync of a missing directory: no error")
	} else if strings.Contains(err.Error(), dir) {
		t.Errorf("error %q names the path", err)
	}
}

// orderSink records the order of the sources it accepted.
type orderSink struct {
	mu    sync.Mutex
	order []string
}

func (s *orderSink) Accept(_ context.Context, e *docbridge.Envelope) (docbridge.Accepted, error) {
	time.Sleep(5 * time.Millisecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.order = append(s.order, e.Source)
	return docbridge.Accepted{ID: int64(len(s.order)), State: docbridge.Converted}, nil
}

func (s *orderSink) taken() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...)
}

// TestClaimedFilesGoBeforeNewDrops: a file left claimed by a previous run
// is taken as soon as a worker is free, not after a stream of new drops.
func TestClaimedFilesGoBeforeNewDrops(t *testing.T) {
	dir := t.TempDir()
	processing := filepath.Join(dir, "processing", "one")
	if err := os.MkdirAll(processing, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(processing, "old.xml"), []byte("<old/>"), 0o600); err != nil {
		t.Fatal(err)
	}
	sink := &orderSink{}
	// The new files are renamed in while the folder starts: they compete
	// with old.xml for the one worker from the first moment.
	const n = 20
	go func() {
		for i := range n {
			dropFile(t, dir, fmt.Sprintf("new%02d.xml", i), "<new/>")
		}
	}()
	runFolder(t, FolderOptions{Dir: dir, Sink: sink, Concurrency: 1, Rescan: time.Hour, Instance: "one", Quick: 10 * time.Millisecond, Settle: 20 * time.Millisecond})
	eventually(t, "every file taken", func() bool { return len(sink.taken()) == n+1 })
	order := sink.taken()
	at := slices.Index(order, "old.xml")
	if at < 0 || at > 2 {
		t.Errorf("old.xml taken at position %d of %d (%v), want among the first three", at, len(order), order)
	}
}
