package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
)

// fakeSink records what it accepted; accept decides the outcome.
type fakeSink struct {
	mu     sync.Mutex
	got    map[string][]byte
	accept func(name string, body []byte) (docbridge.Accepted, error)
}

func (s *fakeSink) Accept(_ context.Context, e *docbridge.Envelope) (docbridge.Accepted, error) {
	body, err := io.ReadAll(e.Body)
	if err != nil {
		return docbridge.Accepted{}, err
	}
	acc := docbridge.Accepted{ID: 1, State: docbridge.Converted}
	if s.accept != nil {
		acc, err = s.accept(e.Source, body)
		if err != nil {
			return acc, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.got == nil {
		s.got = map[string][]byte{}
	}
	s.got[e.Source] = body
	return acc, nil
}

func (s *fakeSink) has(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.got[name]
	return ok
}

func startFolder(t *testing.T, sink docbridge.Sink, settle time.Duration) string {
	t.Helper()
	dir := t.TempDir()
	runFolder(t, FolderOptions{Dir: dir, Sink: sink, Settle: settle, Rescan: time.Hour})
	time.Sleep(50 * time.Millisecond) // let the watch start
	return dir
}

// runFolder runs a Folder until the test ends and returns it.
func runFolder(t *testing.T, o FolderOptions) *Folder {
	t.Helper()
	o.Log = zerolog.Nop()
	f, err := NewFolder(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return f
}

// eventually polls cond for up to 10 s: a bound for a hung test, not a
// performance assertion.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestRenamedInFileIsTakenAndMovedToDone(t *testing.T) {
	sink := &fakeSink{}
	dir := startFolder(t, sink, time.Hour) // settling would never end: only the rename path can take it
	staging := filepath.Join(t.TempDir(), "a.xml")
	if err := os.WriteFile(staging, []byte("<x/>"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(staging, filepath.Join(dir, "a.xml")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a.xml in done/", func() bool { return exists(filepath.Join(dir, "done", "a.xml")) })
	if !sink.has("a.xml") {
		t.Error("sink did not get a.xml")
	}
}

func TestFileWrittenInPlaceWaitsUntilStable(t *testing.T) {
	sink := &fakeSink{}
	dir := startFolder(t, sink, 300*time.Millisecond)
	fh, err := os.Create(filepath.Join(dir, "slow.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		fh.WriteString("<part/>")
		time.Sleep(100 * time.Millisecond)
		if sink.has("slow.xml") {
			t.Fatalf("taken after %d writes, while still being written", i+1)
		}
	}
	fh.Close()
	eventually(t, "slow.xml taken", func() bool { return sink.has("slow.xml") })
	if got, want := string(sink.got["slow.xml"]), "<part/><part/><part/><part/><part/>"; got != want {
		t.Errorf("body = %q, want %q", got, want)
	}
}

func TestTemporaryNamesAreIgnored(t *testing.T) {
	sink := &fakeSink{}
	dir := startFolder(t, sink, 100*time.Millisecond)
	for _, n := range []string{".hidden.xml", "x.tmp", "y.part"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("<x/>"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A real file dropped after them is taken; the temporary ones never are.
	os.WriteFile(filepath.Join(dir, "real.xml"), []byte("<x/>"), 0o600)
	eventually(t, "real.xml taken", func() bool { return sink.has("real.xml") })
	time.Sleep(300 * time.Millisecond)
	for _, n := range []string{".hidden.xml", "x.tmp", "y.part"} {
		if sink.has(n) || !exists(filepath.Join(dir, n)) {
			t.Errorf("%s was taken", n)
		}
	}
}

// TestRefusedResendGoesToFailed: a file the store already holds as
// refused (a duplicate answered Failed) goes to failed/ with its reason
// file, never to done/.
func TestRefusedResendGoesToFailed(t *testing.T) {
	sink := &fakeSink{accept: func(name string, body []byte) (docbridge.Accepted, error) {
		return docbridge.Accepted{ID: 3, Duplicate: true, State: docbridge.Failed, Reason: docbridge.INSInvalid, Message: "the INS check key is wrong"}, nil
	}}
	dir := startFolder(t, sink, 100*time.Millisecond)
	os.WriteFile(filepath.Join(dir, "again.xml"), []byte("<x/>"), 0o600)
	rpath := filepath.Join(dir, "failed", "again.xml.reason.json")
	eventually(t, "reason file", func() bool { return exists(rpath) })
	var rf ReasonFile
	b, _ := os.ReadFile(rpath)
	if err := json.Unmarshal(b, &rf); err != nil || rf.Code != docbridge.INSInvalid || rf.Input != 3 {
		t.Errorf("reason file = %+v, %v; want ins-invalid for input 3", rf, err)
	}
	if exists(filepath.Join(dir, "done", "again.xml")) {
		t.Error("the refused resend is in done/")
	}
}

func TestRefusedFileGoesToFailedWithReason(t *testing.T) {
	sink := &fakeSink{accept: func(name string, body []byte) (docbridge.Accepted, error) {
		return docbridge.Accepted{ID: 7, State: docbridge.Failed, Reason: docbridge.ForbiddenConstruct, Message: "the document declares a DOCTYPE"}, nil
	}}
	dir := startFolder(t, sink, 100*time.Millisecond)
	os.WriteFile(filepath.Join(dir, "bad.xml"), []byte("<!DOCTYPE x>"), 0o600)
	rpath := filepath.Join(dir, "failed", "bad.xml.reason.json")
	eventually(t, "reason file", func() bool { return exists(rpath) })
	var rf ReasonFile
	b, _ := os.ReadFile(rpath)
	if err := json.Unmarshal(b, &rf); err != nil {
		t.Fatal(err)
	}
	if rf.Code != docbridge.ForbiddenConstruct || rf.Input != 7 || rf.File != "bad.xml" || rf.Message == "" {
		t.Errorf("reason file = %+v", rf)
	}
	if !exists(filepath.Join(dir, "failed", "bad.xml")) {
		t.Error("bad.xml not in failed/")
	}
}

func TestTooLargeIsRefusedAndKept(t *testing.T) {
	sink := &fakeSink{accept: func(string, []byte) (docbridge.Accepted, error) {
		return docbridge.Accepted{}, docbridge.Errorf(docbridge.TooLarge, "over the 1 KiB limit")
	}}
	dir := startFolder(t, sink, 100*time.Millisecond)
	os.WriteFile(filepath.Join(dir, "big.pdf"), make([]byte, 2048), 0o600)
	eventually(t, "big.pdf in failed/", func() bool { return exists(filepath.Join(dir, "failed", "big.pdf.reason.json")) })
}

func TestStoreErrorLeavesFileInPlace(t *testing.T) {
	var mu sync.Mutex
	fail := true
	sink := &fakeSink{accept: func(string, []byte) (docbridge.Accepted, error) {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return docbridge.Accepted{}, docbridge.Wrap(docbridge.Internal, "store unavailable", errors.New("disk full"))
		}
		return docbridge.Accepted{ID: 3, State: docbridge.Converted}, nil
	}}
	dir := startFolder(t, sink, 100*time.Millisecond)
	os.WriteFile(filepath.Join(dir, "keep.xml"), []byte("<x/>"), 0o600)
	time.Sleep(400 * time.Millisecond)
	claimed, _ := filepath.Glob(filepath.Join(dir, "processing", "*", "keep.xml"))
	if len(claimed) != 1 || exists(filepath.Join(dir, "done", "keep.xml")) || exists(filepath.Join(dir, "failed", "keep.xml")) {
		t.Fatal("the file left the processing folder although the sink failed")
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	eventually(t, "keep.xml in done/ after the store came back", func() bool { return exists(filepath.Join(dir, "done", "keep.xml")) })
}

func TestFilesPresentAtStartAreTaken(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "old.xml"), []byte("<x/>"), 0o600)
	sink := &fakeSink{}
	f, err := NewFolder(FolderOptions{Dir: dir, Sink: sink, Settle: 100 * time.Millisecond, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.Run(ctx)
	eventually(t, "old.xml taken", func() bool { return exists(filepath.Join(dir, "done", "old.xml")) })
}

func TestSameNameTwiceKeepsBoth(t *testing.T) {
	sink := &fakeSink{}
	dir := startFolder(t, sink, 100*time.Millisecond)
	for i := 0; i < 2; i++ {
		os.WriteFile(filepath.Join(dir, "same.xml"), []byte{'a' + byte(i)}, 0o600)
		eventually(t, "same.xml taken", func() bool { return !exists(filepath.Join(dir, "same.xml")) })
	}
	// Claimed is not yet done: wait for both moves.
	eventually(t, "both files in done/", func() bool {
		entries, _ := os.ReadDir(filepath.Join(dir, "done"))
		return len(entries) == 2
	})
}

func TestPollingModeTakesFiles(t *testing.T) {
	sink := &fakeSink{}
	dir := t.TempDir()
	runFolder(t, FolderOptions{Dir: dir, Sink: sink, Poll: true, Rescan: 100 * time.Millisecond, Settle: 200 * time.Millisecond})
	os.WriteFile(filepath.Join(dir, "share.xml"), []byte("<x/>"), 0o600)
	eventually(t, "share.xml in done/", func() bool { return exists(filepath.Join(dir, "done", "share.xml")) })
}

func TestClaimedFilesAreFinishedAfterACrash(t *testing.T) {
	dir := t.TempDir()
	proc := filepath.Join(dir, "processing", "lab1")
	os.MkdirAll(proc, 0o750)
	os.WriteFile(filepath.Join(proc, "left.xml"), []byte("<x/>"), 0o600)
	sink := &fakeSink{}
	runFolder(t, FolderOptions{Dir: dir, Sink: sink, Instance: "lab1", Settle: 100 * time.Millisecond})
	eventually(t, "left.xml in done/", func() bool { return exists(filepath.Join(dir, "done", "left.xml")) })
}

// TestFileThatCannotBeMovedDoesNotBlockOthers: done/ is not a directory,
// so no file can be finished; each is tried again with a growing delay,
// and the refused ones still reach failed/.
func TestFileThatCannotBeMovedDoesNotBlockOthers(t *testing.T) {
	dir := t.TempDir()
	notADir := filepath.Join(dir, "done-is-a-file")
	os.WriteFile(notADir, nil, 0o600)
	var mu sync.Mutex
	calls := map[string]int{}
	sink := &fakeSink{accept: func(name string, _ []byte) (docbridge.Accepted, error) {
		mu.Lock()
		calls[name]++
		mu.Unlock()
		if name == "bad.xml" {
			return docbridge.Accepted{ID: 2, State: docbridge.Failed, Reason: docbridge.Malformed, Message: "not XML"}, nil
		}
		return docbridge.Accepted{ID: 1, State: docbridge.Converted}, nil
	}}
	drop := filepath.Join(dir, "drop")
	f, err := NewFolder(FolderOptions{Dir: drop, Done: filepath.Join(dir, "x"), Sink: sink, Settle: 100 * time.Millisecond, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	f.o.Done = notADir
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.Run(ctx)
	os.WriteFile(filepath.Join(drop, "stuck.xml"), []byte("<x/>"), 0o600)
	os.WriteFile(filepath.Join(drop, "bad.xml"), []byte("<x/>"), 0o600)
	eventually(t, "bad.xml refused", func() bool { return exists(filepath.Join(drop, "failed", "bad.xml.reason.json")) })
	time.Sleep(1500 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if n := calls["stuck.xml"]; n < 1 || n > 3 {
		t.Errorf("stuck.xml was offered %d times in ~1.5 s, want a few with backoff, not a loop", n)
	}
}

// TestTwoInstancesShareOneFolder: each file is taken by exactly one of two
// intakes watching the same folder.
func TestTwoInstancesShareOneFolder(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	taken := map[string]int{}
	sink := &fakeSink{accept: func(name string, _ []byte) (docbridge.Accepted, error) {
		mu.Lock()
		taken[name]++
		mu.Unlock()
		return docbridge.Accepted{ID: 1, State: docbridge.Converted}, nil
	}}
	runFolder(t, FolderOptions{Dir: dir, Sink: sink, Instance: "a", Settle: 100 * time.Millisecond, Quick: 10 * time.Millisecond})
	runFolder(t, FolderOptions{Dir: dir, Sink: sink, Instance: "b", Settle: 100 * time.Millisecond, Quick: 10 * time.Millisecond})
	time.Sleep(50 * time.Millisecond)
	const n = 200
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("f%03d.xml", i)
		tmp := filepath.Join(dir, "."+name)
		os.WriteFile(tmp, []byte(name), 0o600)
		os.Rename(tmp, filepath.Join(dir, name))
	}
	eventually(t, "all files in done/", func() bool {
		e, _ := os.ReadDir(filepath.Join(dir, "done"))
		return len(e) == n
	})
	mu.Lock()
	defer mu.Unlock()
	for name, c := range taken {
		if c != 1 {
			t.Errorf("%s taken %d times", name, c)
		}
	}
	if len(taken) != n {
		t.Errorf("%d files taken, want %d", len(taken), n)
	}
}

func TestEmptyFileIsTakenOnceSettled(t *testing.T) {
	sink := &fakeSink{accept: func(string, []byte) (docbridge.Accepted, error) {
		return docbridge.Accepted{ID: 4, State: docbridge.Failed, Reason: docbridge.Malformed, Message: "the input is empty"}, nil
	}}
	dir := startFolder(t, sink, 200*time.Millisecond)
	os.WriteFile(filepath.Join(dir, "empty.xml"), nil, 0o600)
	eventually(t, "empty.xml refused", func() bool { return exists(filepath.Join(dir, "failed", "empty.xml.reason.json")) })
}
