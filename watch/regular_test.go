package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
)

// readReason reads a reason file.
func readReason(t *testing.T, path string) ReasonFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rf ReasonFile
	if err := json.Unmarshal(b, &rf); err != nil {
		t.Fatal(err)
	}
	return rf
}

// TestIrregularEntriesAreRefused: a link (made in place or renamed in), a
// FIFO and a socket are moved, as they are, to failed/ with a
// forbidden-construct reason file; nothing is read through them, and a
// good file dropped after them is still taken.
func TestIrregularEntriesAreRefused(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.xml")
	if err := os.WriteFile(secret, []byte("<secret/>"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		make func(t *testing.T, dir, name string)
		mode fs.FileMode
	}{
		{"link-in-place.xml", func(t *testing.T, dir, name string) {
			if err := os.Symlink(secret, filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}, fs.ModeSymlink},
		{"link-renamed-in.xml", func(t *testing.T, dir, name string) {
			tmp := filepath.Join(outside, name)
			if err := os.Symlink(secret, tmp); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}, fs.ModeSymlink},
		{"link-to-environ.pdf", func(t *testing.T, dir, name string) {
			if err := os.Symlink("/proc/self/environ", filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}, fs.ModeSymlink},
		{"pipe.xml", func(t *testing.T, dir, name string) {
			if err := syscall.Mkfifo(filepath.Join(dir, name), 0o600); err != nil {
				t.Fatal(err)
			}
		}, fs.ModeNamedPipe},
		{"s.xml", func(t *testing.T, dir, name string) {
			l, err := net.Listen("unix", filepath.Join(dir, name))
			if err != nil {
				t.Skipf("cannot make a socket here: %v", err)
			}
			l.(*net.UnixListener).SetUnlinkOnClose(false)
			t.Cleanup(func() { l.Close() })
		}, fs.ModeSocket},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &fakeSink{}
			dir := startFolder(t, sink, 200*time.Millisecond)
			tc.make(t, dir, tc.name)
			moved := filepath.Join(dir, "failed", tc.name)
			eventually(t, "the reason file", func() bool { return exists(moved + ".reason.json") })
			rf := readReason(t, moved+".reason.json")
			if got, want := rf.Code, docbridge.ForbiddenConstruct; got != want {
				t.Errorf("reason = %q, want %q", got, want)
			}
			if !strings.Contains(rf.Message, "not a regular file") {
				t.Errorf("message = %q, want it to say what to do", rf.Message)
			}
			fi, err := os.Lstat(moved)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Type(); got != tc.mode {
				t.Errorf("failed/ holds a %v, want the entry itself (%v)", got, tc.mode)
			}
			if sink.has(tc.name) {
				t.Error("the sink was given the entry's content")
			}
			if b, _ := os.ReadFile(secret); string(b) != "<secret/>" {
				t.Error("the link's target was changed")
			}
			good := filepath.Join(outside, tc.name+".good.xml")
			os.WriteFile(good, []byte("<x/>"), 0o600)
			if err := os.Rename(good, filepath.Join(dir, "good.xml")); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the good file after it", func() bool { return sink.has("good.xml") })
		})
	}
}

// TestDirectoryGetsOneReasonFile: a directory of the drop folder stays
// where it is, with a reason file beside it written once; docbridge's own
// folders get none.
func TestDirectoryGetsOneReasonFile(t *testing.T) {
	dir := t.TempDir()
	runFolder(t, FolderOptions{Dir: dir, Sink: &fakeSink{}, Settle: 100 * time.Millisecond, Rescan: 100 * time.Millisecond})
	if err := os.Mkdir(filepath.Join(dir, "staging"), 0o750); err != nil {
		t.Fatal(err)
	}
	reason := filepath.Join(dir, "staging.reason.json")
	eventually(t, "the directory's reason file", func() bool { return exists(reason) })
	if got, want := readReason(t, reason).Code, docbridge.UnsupportedFormat; got != want {
		t.Errorf("reason = %q, want %q", got, want)
	}
	if err := os.WriteFile(reason, []byte("kept"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // several rescans
	if b, _ := os.ReadFile(reason); string(b) != "kept" {
		t.Error("the reason file was written again")
	}
	if !exists(filepath.Join(dir, "staging")) {
		t.Error("the directory was moved")
	}
	for _, own := range []string{"done", "failed", "processing"} {
		if exists(filepath.Join(dir, own+".reason.json")) {
			t.Errorf("%s/ got a reason file", own)
		}
	}
}

// TestLongNamesAreTakenAndMoved: a name of 251 bytes is taken, moved to
// done/ (twice, so the collision suffix must fit) and, refused, to failed/
// with its reason file; nothing stays in processing/.
func TestLongNamesAreTakenAndMoved(t *testing.T) {
	long := strings.Repeat("DOCBRIDGE-TEST_CAMILLE_", 11)[:247] + ".xml"
	bad := strings.Repeat("b", 247) + ".xml"
	sink := &fakeSink{accept: func(name string, _ []byte) (docbridge.Accepted, error) {
		if strings.HasPrefix(name, "b") {
			return docbridge.Accepted{ID: 2, State: docbridge.Failed, Reason: docbridge.Malformed, Message: "bad"}, nil
		}
		return docbridge.Accepted{ID: 1, State: docbridge.Converted}, nil
	}}
	dir := startFolder(t, sink, time.Hour)
	staging := t.TempDir()
	drop := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(staging, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(staging, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	count := func(sub, suffix string) int {
		entries, _ := os.ReadDir(filepath.Join(dir, sub))
		n := 0
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), suffix) && !strings.HasPrefix(e.Name(), ".") {
				n++
			}
		}
		return n
	}
	drop(long, "<a/>")
	eventually(t, "the long name in done/", func() bool { return count("done", ".xml") == 1 })
	drop(long, "<b/>")
	eventually(t, "the second long name in done/", func() bool { return count("done", ".xml") == 2 })
	drop(bad, "<c/>")
	eventually(t, "the refused long name's reason file", func() bool { return count("failed", ".reason.json") == 1 })
	if !exists(filepath.Join(dir, "done", shortName(long))) {
		t.Errorf("done/ lacks %s", shortName(long))
	}
	if rf := readReason(t, filepath.Join(dir, "failed", shortName(bad)+".reason.json")); rf.File != shortName(bad) {
		t.Errorf("reason file names %q, want %q", rf.File, shortName(bad))
	}
	if n := count(filepath.Join("processing", mustHost(t)), ""); n != 0 {
		t.Errorf("processing/ holds %d files, want none", n)
	}
}

func mustHost(t *testing.T) string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "local"
	}
	return h
}

func TestShortName(t *testing.T) {
	long := strings.Repeat("é", 130) + ".pdf" // 264 bytes
	for _, tc := range []struct {
		name, in string
		same     bool
	}{
		{"short", "a.xml", true},
		{"at the limit", strings.Repeat("a", maxClaimName-4) + ".xml", true},
		{"one over", strings.Repeat("a", maxClaimName-3) + ".xml", false},
		{"251 bytes", strings.Repeat("x", 247) + ".xml", false},
		{"multibyte", long, false},
		{"long extension", "a." + strings.Repeat("e", 300), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := shortName(tc.in)
			if (got == tc.in) != tc.same {
				t.Fatalf("shortName changed it: %v, want %v", got != tc.in, !tc.same)
			}
			if len(got) > maxClaimName {
				t.Errorf("len = %d, over %d", len(got), maxClaimName)
			}
			if !tc.same {
				if !strings.Contains(got, docbridge.Ref(tc.in)) {
					t.Errorf("%q lacks the name's ref", got)
				}
				if ext := filepath.Ext(tc.in); len(ext) <= 16 && filepath.Ext(got) != ext {
					t.Errorf("extension %q, want %q", filepath.Ext(got), ext)
				}
			}
			if !strings.HasPrefix(tc.in, strings.SplitN(got, "~", 2)[0]) || !utf8.ValidString(got) {
				t.Errorf("%q is not a valid start of the name", got)
			}
			if shortName(tc.in) != got {
				t.Error("not deterministic")
			}
		})
	}
	a, b := strings.Repeat("x", 250)+"1.xml", strings.Repeat("x", 250)+"2.xml"
	if shortName(a) == shortName(b) {
		t.Error("two long names with the same start share a short name")
	}
}

// TestPathlessHidesNames: the os errors of the folder's error paths carry
// refs, not the file's name, and keep their cause.
func TestPathlessHidesNames(t *testing.T) {
	dir := t.TempDir()
	name := "DOCBRIDGE-TEST_CAMILLE_1985-04-17_285047505612322.xml"
	_, openErr := os.Open(filepath.Join(dir, name))
	renameErr := os.Rename(filepath.Join(dir, name), filepath.Join(dir, "done", name))
	for _, tc := range []struct {
		what string
		err  error
	}{{"open", openErr}, {"rename", renameErr}} {
		t.Run(tc.what, func(t *testing.T) {
			if !strings.Contains(tc.err.Error(), "CAMILLE") {
				t.Fatalf("the os error %q does not hold the name: the test proves nothing", tc.err)
			}
			got := pathless(tc.err)
			if strings.Contains(got.Error(), "CAMILLE") || strings.Contains(got.Error(), dir) {
				t.Errorf("pathless error %q holds the path", got)
			}
			if !strings.Contains(got.Error(), docbridge.Ref(name)) {
				t.Errorf("pathless error %q lacks the name's ref", got)
			}
			if !errors.Is(got, fs.ErrNotExist) {
				t.Errorf("pathless error %q lost its cause", got)
			}
		})
	}
}

// TestFailedMoveLogsNoName: when done/ cannot take the file (here: done/
// is no longer a directory, which fails even for root), the error logged
// names the file by its ref only.
func TestFailedMoveLogsNoName(t *testing.T) {
	dir := t.TempDir()
	done := filepath.Join(t.TempDir(), "done")
	var buf syncBuffer
	f, err := NewFolder(FolderOptions{Dir: dir, Done: done, Sink: &fakeSink{}, Rescan: time.Hour, Log: zerolog.New(&buf)})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(done); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(done, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { f.Run(ctx); close(stopped) }()
	defer func() { cancel(); <-stopped }()
	name := "DOCBRIDGE-TEST_CAMILLE_1985-04-17_285047505612322.xml"
	staging := filepath.Join(t.TempDir(), name)
	os.WriteFile(staging, []byte("<x/>"), 0o600)
	time.Sleep(50 * time.Millisecond)
	if err := os.Rename(staging, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the failed move in the log", func() bool { return strings.Contains(buf.String(), "cannot finish the claimed file") })
	log := buf.String()
	if strings.Contains(log, "CAMILLE") {
		t.Errorf("the log holds the file name:\n%s", log)
	}
	if !strings.Contains(log, "not a directory") || !strings.Contains(log, docbridge.Ref(name)) {
		t.Errorf("the log does not say what failed for which file:\n%s", log)
	}
}

// syncBuffer is a bytes.Buffer safe for the folder's goroutine and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestOpenRegularNamesTheFileByRef: errors of reads on the opened file
// (which the sink may wrap and log) carry the ref, not the path.
func TestOpenRegularNamesTheFileByRef(t *testing.T) {
	name := "DOCBRIDGE-TEST_CAMILLE_1985-04-17.xml"
	path := filepath.Join(t.TempDir(), name)
	os.WriteFile(path, []byte("<x/>"), 0o600)
	fh, err := openRegular(path)
	if err != nil {
		t.Fatal(err)
	}
	fh.Close()
	_, err = fh.Read(make([]byte, 1))
	if err == nil || strings.Contains(err.Error(), "CAMILLE") || !strings.Contains(err.Error(), docbridge.Ref(name)) {
		t.Errorf("read after close: %v, want an error naming the file by its ref", err)
	}
	if _, err := openRegular(filepath.Join(filepath.Dir(path), "missing-"+name)); !errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), "CAMILLE") {
		t.Errorf("open of a missing file: %v, want not-exist without the name", err)
	}
}

// FuzzShortName: whatever the name, the claimed name fits, is a valid start
// of the name (when cut) and is the same every time.
func FuzzShortName(f *testing.F) {
	f.Add(strings.Repeat("x", 247) + ".xml")
	f.Add(strings.Repeat("é", 130) + ".pdf")
	f.Add("a.xml")
	f.Fuzz(func(t *testing.T, name string) {
		got := shortName(name)
		if len(got) > maxClaimName && got != name {
			t.Fatalf("len %d over %d", len(got), maxClaimName)
		}
		if len(name) <= maxClaimName && got != name {
			t.Fatalf("a short name was changed: %q", got)
		}
		if len(name) > maxClaimName {
			if len(got) > maxClaimName || !strings.HasPrefix(name, strings.SplitN(got, "~", 2)[0]) {
				t.Fatalf("%q is not a start of the name within the limit", got)
			}
			if utf8.ValidString(name) && !utf8.ValidString(got) {
				t.Fatalf("%q cuts a character", got)
			}
		}
		if shortName(name) != got {
			t.Fatal("not deterministic")
		}
	})
}

// TestOpenClaimedRefusesAReplacedFile: a file put in the place of the
// claimed one in processing/ is refused; the claimed one opens.
func TestOpenClaimedRefusesAReplacedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.xml")
	os.WriteFile(path, []byte("<a/>"), 0o600)
	claimed, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	fh, err := openClaimed(path, claimed)
	if err != nil {
		t.Fatalf("the claimed file: %v", err)
	}
	fh.Close()
	os.WriteFile(filepath.Join(dir, "b.xml"), []byte("<b/>"), 0o600)
	if err := os.Rename(filepath.Join(dir, "b.xml"), path); err != nil {
		t.Fatal(err)
	}
	if _, err := openClaimed(path, claimed); docbridge.ReasonOf(err) != docbridge.ForbiddenConstruct {
		t.Errorf("a replaced file: %v, want forbidden-construct", err)
	}
	if fh, err := openClaimed(path, nil); err != nil {
		t.Errorf("found claimed at start (no identity): %v", err)
	} else {
		fh.Close()
	}
}
