package mllp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// headSize is how much of the start of a spooled message a frame keeps in
// memory, for its MSH.
const headSize = 4 << 10

// errSpoolFull is why a frame is dropped when the listener's spool budget
// is spent.
var errSpoolFull = errors.New("the spool budget for messages in progress is spent")

// frame is one message as it arrives, the io.Writer given to
// hl7.Reader.CopyMessage. It stays in memory while it is at most
// Options.SpoolAbove bytes and the listener's memory budget allows, and
// streams to a temporary file in Options.SpoolDir (mode 0600, unlinked at
// once where the system allows, so that nothing is left behind by a crash)
// beyond. Write never fails, so the stream stays in step: when the spool
// cannot take more (its budget is spent, the disk fails) the frame drops
// the rest and dropped says why; the message is then refused for now (AR).
// The owner calls release when done with it, which gives back its memory,
// its file and their budgets. It is used by one goroutine.
type frame struct {
	s        *Server
	mem      []byte // the message while in memory
	memHeld  int64  // memory budget taken: cap(mem)
	file     *os.File
	path     string // the file's name while it could not be unlinked
	diskHeld int64  // spool budget taken: the file's size
	first    []byte // the first headSize bytes, once not in memory
	dropped  error
}

// Write implements io.Writer; it always takes all of p.
func (f *frame) Write(p []byte) (int, error) {
	switch {
	case f.dropped != nil:
	case f.file == nil && f.grow(len(p)):
		f.mem = append(f.mem, p...)
	default:
		f.toDisk(p)
	}
	return len(p), nil
}

// grow makes room in mem for n more bytes within SpoolAbove and the memory
// budget, and reports whether it could.
func (f *frame) grow(n int) bool {
	need := len(f.mem) + n
	if need <= cap(f.mem) {
		return true
	}
	limit := f.s.o.SpoolAbove
	if need > limit {
		return false
	}
	c := min(max(need, 2*cap(f.mem), 4<<10), limit)
	if !f.s.mem.take(int64(c) - f.memHeld) {
		return false
	}
	nm := make([]byte, len(f.mem), c)
	copy(nm, f.mem)
	f.mem, f.memHeld = nm, int64(c)
	return true
}

// toDisk writes p to the spool file, creating it (with what was in memory)
// first.
func (f *frame) toDisk(p []byte) {
	if f.file == nil {
		f.first = bytes.Clone(f.mem[:min(len(f.mem), headSize)])
		if err := f.spill(); err != nil {
			f.drop(err)
			return
		}
	}
	if n := min(len(p), headSize-len(f.first)); n > 0 {
		f.first = append(f.first, p[:n]...)
	}
	if !f.s.disk.take(int64(len(p))) {
		f.drop(errSpoolFull)
		return
	}
	f.diskHeld += int64(len(p))
	if _, err := f.file.Write(p); err != nil {
		f.drop(fmt.Errorf("write the spool file: %w", err))
	}
}

// spill moves the message from memory to a new spool file.
func (f *frame) spill() error {
	file, err := os.CreateTemp(f.s.o.SpoolDir, "mllp-*.part")
	if err != nil {
		return fmt.Errorf("create a spool file: %w", err)
	}
	f.file = file
	if os.Remove(file.Name()) != nil {
		f.path = file.Name()
	}
	mem := f.mem
	f.freeMem()
	if !f.s.disk.take(int64(len(mem))) {
		return errSpoolFull
	}
	f.diskHeld += int64(len(mem))
	if _, err := file.Write(mem); err != nil {
		return fmt.Errorf("write the spool file: %w", err)
	}
	return nil
}

// drop gives the message up for why, keeping its head.
func (f *frame) drop(why error) {
	if f.file == nil {
		f.first = bytes.Clone(f.mem[:min(len(f.mem), headSize)])
	}
	f.dropped = why
	f.release()
}

// head returns the start of the message, for its MSH: all of it while it
// is in memory, its first headSize bytes otherwise.
func (f *frame) head() []byte {
	if f.file == nil && f.dropped == nil {
		return f.mem
	}
	return f.first
}

// body returns a reader of the whole message; it is valid until release.
// It is not to be called after the frame was dropped.
func (f *frame) body() io.Reader {
	if f.file == nil {
		return bytes.NewReader(f.mem)
	}
	return io.NewSectionReader(f.file, 0, f.diskHeld)
}

// freeMem lets mem go and gives its budget back.
func (f *frame) freeMem() {
	f.s.mem.give(f.memHeld)
	f.s.letGo(f.memHeld)
	f.mem, f.memHeld = nil, 0
}

// release gives back the frame's memory, its file and their budgets. It
// may be called more than once.
func (f *frame) release() {
	f.freeMem()
	if f.file != nil {
		f.file.Close()
		if f.path != "" {
			os.Remove(f.path)
		}
		f.file, f.path = nil, ""
	}
	f.s.disk.give(f.diskHeld)
	f.diskHeld = 0
}

// errBusy is why a spooled message is refused when its turn to be stored
// did not come within AcceptTimeout.
var errBusy = errors.New("other large messages are being stored")

// largeTurn waits until a spooled message may be stored (LargeAccepts at
// once) and returns the function that ends its turn. It gives up with
// errBusy after AcceptTimeout and with ctx's error when shutdown starts.
func (s *Server) largeTurn(ctx context.Context) (func(), error) {
	t := time.NewTimer(s.o.AcceptTimeout)
	defer t.Stop()
	select {
	case s.large <- struct{}{}:
		return func() { <-s.large }, nil
	case <-t.C:
		return nil, errBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
