package hl7

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// The MLLP framing bytes: a message is StartBlock, the message, EndBlock,
// CarriageReturn (HL7 v2.5.1 appendix C).
const (
	StartBlock     = 0x0B
	EndBlock       = 0x1C
	CarriageReturn = 0x0D
)

// ErrTooLarge is returned by Reader.ReadMessage for a frame over the size
// limit. The frame has been read to its end and dropped, so the stream is
// still in step: the caller may acknowledge and read on.
var ErrTooLarge = errors.New("hl7: MLLP message over the size limit")

// FrameError is a broken MLLP stream: bytes outside a frame, or an end
// block not followed by a carriage return. The stream is out of step and
// the connection should be closed.
type FrameError struct{ Msg string }

func (e *FrameError) Error() string { return "hl7: MLLP framing: " + e.Msg }

// Reader reads MLLP frames from a stream into one buffer of its own, which
// grows to the largest message read (at most the size limit). It is not
// safe for concurrent use.
type Reader struct {
	src  io.Reader
	buf  []byte // buf[r:w] is read and not yet consumed
	r, w int
	max  int
}

// NewReader returns a Reader of src whose messages may be at most max bytes
// (max <= 0 means 16 MiB).
func NewReader(src io.Reader, max int) *Reader {
	if max <= 0 {
		max = 16 << 20
	}
	return &Reader{src: src, buf: make([]byte, 32<<10), max: max}
}

// Reset makes r read from src, dropping anything buffered, and keeps its
// buffer.
func (r *Reader) Reset(src io.Reader) { r.src, r.r, r.w = src, 0, 0 }

// fill reads more bytes, moving unconsumed ones to the front of the buffer
// and growing it when it is full.
func (r *Reader) fill() error {
	if r.r > 0 {
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
	}
	if r.w == len(r.buf) {
		nb := make([]byte, min(2*len(r.buf), r.max+64<<10))
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	for range 100 {
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if n > 0 || err != nil {
			if n > 0 {
				return nil
			}
			return err
		}
	}
	return io.ErrNoProgress
}

// ReadMessage blocks until it has read one whole frame and returns the
// message inside it. The returned slice is the reader's own buffer: it is
// valid until the next call to ReadMessage or Reset (copy it to keep it).
// White space between frames is skipped. It returns io.EOF when the stream
// ends cleanly between frames, io.ErrUnexpectedEOF when it ends inside one,
// a *FrameError when the stream is not MLLP, the source's error as it is (a
// timeout, a closed connection), and ErrTooLarge with a copy of the first
// max bytes of the message (so that its MSH can be read for the
// acknowledgement) when the frame is over the limit; the rest of that frame
// is read and dropped.
func (r *Reader) ReadMessage() ([]byte, error) {
	for {
		for r.r < r.w {
			c := r.buf[r.r]
			r.r++
			if c == StartBlock {
				return r.body()
			}
			if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
				return nil, &FrameError{Msg: fmt.Sprintf("byte 0x%02X outside a frame (expected the start block 0x0B)", c)}
			}
		}
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
}

// body reads a frame's message, the start block consumed.
func (r *Reader) body() ([]byte, error) {
	scanned := 0 // bytes of the message known to hold no end block
	for {
		if i := bytes.IndexByte(r.buf[r.r+scanned:r.w], EndBlock); i >= 0 {
			n := scanned + i
			if n > r.max {
				head := append([]byte(nil), r.buf[r.r:r.r+r.max]...)
				r.r += n
				return head, r.endOfFrame(ErrTooLarge)
			}
			// Read the byte after the end block without consuming the
			// message: fill keeps buf[r.r:] (moved to the front).
			for r.w-r.r < n+2 {
				if err := r.fill(); err != nil {
					return nil, unexpected(err)
				}
			}
			msg, c := r.buf[r.r:r.r+n], r.buf[r.r+n+1]
			r.r += n + 2
			if c != CarriageReturn {
				return nil, &FrameError{Msg: fmt.Sprintf("end block followed by 0x%02X instead of a carriage return", c)}
			}
			return msg, nil
		}
		scanned = r.w - r.r
		if scanned > r.max {
			return r.discard()
		}
		if err := r.fill(); err != nil {
			return nil, unexpected(err)
		}
	}
}

// endOfFrame consumes the end block and the carriage return after it; it
// returns ok when they are there. It may move the buffer's content.
func (r *Reader) endOfFrame(ok error) error {
	for r.w-r.r < 2 {
		if err := r.fill(); err != nil {
			return unexpected(err)
		}
	}
	c := r.buf[r.r+1]
	r.r += 2
	if c != CarriageReturn {
		return &FrameError{Msg: fmt.Sprintf("end block followed by 0x%02X instead of a carriage return", c)}
	}
	return ok
}

// discard keeps the head of an oversized message and drops the rest of
// its frame.
func (r *Reader) discard() ([]byte, error) {
	head := append([]byte(nil), r.buf[r.r:r.r+r.max]...)
	r.r = r.w
	for {
		if err := r.fill(); err != nil {
			return nil, unexpected(err)
		}
		if i := bytes.IndexByte(r.buf[r.r:r.w], EndBlock); i >= 0 {
			r.r += i
			return head, r.endOfFrame(ErrTooLarge)
		}
		r.r = r.w
	}
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Frame returns msg inside an MLLP frame, in a new slice.
func Frame(msg []byte) []byte {
	out := make([]byte, 0, len(msg)+3)
	out = append(out, StartBlock)
	out = append(out, msg...)
	return append(out, EndBlock, CarriageReturn)
}

// WriteFrame writes msg inside an MLLP frame with one Write call.
func WriteFrame(w io.Writer, msg []byte) error {
	_, err := w.Write(Frame(msg))
	return err
}

// Unframe returns the message inside b when b (white space around it
// aside) is one MLLP frame, and b itself with ok false otherwise. It looks
// only at the ends of b: it does not scan the message.
func Unframe(b []byte) (msg []byte, ok bool) {
	t := bytes.TrimLeft(b, " \t\r\n")
	if len(t) == 0 || t[0] != StartBlock {
		return b, false
	}
	t = bytes.TrimRight(t[1:], " \t\n")
	switch {
	case bytes.HasSuffix(t, []byte{EndBlock, CarriageReturn}):
		return t[:len(t)-2], true
	case bytes.HasSuffix(t, []byte{EndBlock}):
		return t[:len(t)-1], true
	}
	return b, false
}
