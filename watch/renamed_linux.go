//go:build linux

package watch

import (
	"bytes"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// renamedIn reports the names of files renamed into dir (inotify's
// IN_MOVED_TO), which fsnotify folds into a plain Create: a file renamed in
// is complete by the drop-folder convention and can be taken at once,
// without the quiet window a created file needs. It is a hint beside
// fsnotify, not a replacement: a lost event (overflow) only costs latency.
// The channel is closed when the returned stop is called or the watch
// fails.
func renamedIn(dir string) (<-chan string, func(), error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, nil, fmt.Errorf("inotify: %w", err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_MOVED_TO|unix.IN_ONLYDIR); err != nil {
		unix.Close(fd)
		return nil, nil, fmt.Errorf("inotify watch %s: %w", dir, err)
	}
	// A non-blocking descriptor goes through the runtime poller, so Close
	// unblocks a pending Read.
	f := os.NewFile(uintptr(fd), "inotify")
	names := make(chan string, 256)
	go func() {
		defer close(names)
		buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
		for {
			n, err := f.Read(buf)
			if err != nil {
				return // closed, or the watch is gone
			}
			for _, name := range parseInotify(buf[:n]) {
				names <- name
			}
		}
	}()
	return names, func() { f.Close() }, nil
}

// parseInotify returns the names of the IN_MOVED_TO events in b.
func parseInotify(b []byte) []string {
	var out []string
	for len(b) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[0]))
		end := unix.SizeofInotifyEvent + int(ev.Len)
		if end > len(b) {
			break
		}
		if ev.Mask&unix.IN_MOVED_TO != 0 && ev.Len > 0 {
			name := b[unix.SizeofInotifyEvent:end]
			out = append(out, string(bytes.TrimRight(name, "\x00")))
		}
		b = b[end:]
	}
	return out
}
