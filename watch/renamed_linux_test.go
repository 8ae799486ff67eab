//go:build linux

package watch

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// With a quiet window of an hour, only the kernel's IN_MOVED_TO hint can
// take a renamed-in file; a file created in place must still wait.
func TestRenamedInHintSkipsTheQuietWindow(t *testing.T) {
	sink := &fakeSink{}
	dir := t.TempDir()
	runFolder(t, FolderOptions{Dir: dir, Sink: sink, Settle: time.Hour, Quick: time.Hour, Rescan: time.Hour})
	time.Sleep(50 * time.Millisecond) // let the watch start
	if err := os.WriteFile(filepath.Join(dir, "inplace.xml"), []byte("<y/>"), 0o600); err != nil {
		t.Fatal(err)
	}
	staging := filepath.Join(t.TempDir(), "a.xml")
	if err := os.WriteFile(staging, []byte("<x/>"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(staging, filepath.Join(dir, "a.xml")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a.xml taken", func() bool { return sink.has("a.xml") })
	if sink.has("inplace.xml") {
		t.Error("a file created in place was taken without waiting")
	}
}

func TestParseInotifySkipsOtherEvents(t *testing.T) {
	if got := parseInotify(nil); len(got) != 0 {
		t.Errorf("parseInotify(nil) = %q", got)
	}
	if got := parseInotify([]byte{1, 2, 3}); len(got) != 0 {
		t.Errorf("parseInotify(short) = %q", got)
	}
}
