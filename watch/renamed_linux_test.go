//go:build linux

package watch

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
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

// inotifyEvent encodes one event as the kernel does: the fixed header,
// then the name padded with NULs to len.
func inotifyEvent(mask uint32, name string, pad int) []byte {
	n := len(name) + pad
	b := make([]byte, unix.SizeofInotifyEvent+n)
	binary.NativeEndian.PutUint32(b[4:], mask)
	binary.NativeEndian.PutUint32(b[12:], uint32(n))
	copy(b[unix.SizeofInotifyEvent:], name)
	return b
}

func TestParseInotify(t *testing.T) {
	var buf []byte
	buf = append(buf, inotifyEvent(unix.IN_CREATE, "created.xml", 5)...)
	buf = append(buf, inotifyEvent(unix.IN_MOVED_TO, "renamed.xml", 5)...)
	buf = append(buf, inotifyEvent(unix.IN_MOVED_TO|unix.IN_ISDIR, "", 0)...)
	buf = append(buf, inotifyEvent(unix.IN_MOVED_TO, "b.pdf", 11)...)
	tests := []struct {
		name string
		in   []byte
		want []string
	}{
		{"nothing", nil, nil},
		{"shorter than a header", []byte{1, 2, 3}, nil},
		{"only the moves, names without padding", buf, []string{"renamed.xml", "b.pdf"}},
		{"a name cut short is dropped", buf[:len(buf)-3], []string{"renamed.xml"}},
	}
	for _, tt := range tests {
		if got := parseInotify(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("%s: parseInotify = %q, want %q", tt.name, got, tt.want)
		}
	}
}
