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

// ErrTooLarge is returned by Reader.CopyMessage and Reader.ReadMessage for
// a frame over the size limit. The frame has been read to its end and the
// part over the limit dropped, so the stream is still in step: the caller
// may acknowledge and read on.
var ErrTooLarge = errors.New("hl7: MLLP message over the size limit")

// ErrAbandoned is returned by Reader.CopyMessage and Reader.ReadMessage
// when a start block arrives inside a frame, before its end block: the
// sender gave that frame up and started another (HL7 v2 content never holds
// 0x0B). The broken part is read and dropped; the reader is in step again,
// on the new frame, which the next call reads.
var ErrAbandoned = errors.New("hl7: MLLP frame abandoned: a start block arrived before its end block")

// FrameError is a broken MLLP stream: bytes outside a frame, or an end
// block not followed by a carriage return. The stream is out of step and
// the connection should be closed.
type FrameError struct{ Msg string }

func (e *FrameError) Error() string { return "hl7: MLLP framing: " + e.Msg }

// readBufSize is the size of a Reader's buffer, which never grows.
const readBufSize = 32 << 10

// Reader reads MLLP frames from a stream through a fixed 32 KiB buffer of
// its own. CopyMessage streams a message out without holding it;
// ReadMessage keeps it in a second buffer that grows to the largest
// message read (at most the size limit). It is not safe for concurrent use.
type Reader struct {
	src  io.Reader
	buf  []byte // buf[r:w] is read and not yet consumed
	r, w int
	max  int
	msg  bytes.Buffer // ReadMessage's message
}

// NewReader returns a Reader of src whose messages may be at most max bytes
// (max <= 0 means 16 MiB).
func NewReader(src io.Reader, max int) *Reader {
	if max <= 0 {
		max = 16 << 20
	}
	return &Reader{src: src, buf: make([]byte, readBufSize), max: max}
}

// Reset makes r read from src, dropping anything buffered, and keeps its
// buffers.
func (r *Reader) Reset(src io.Reader) { r.src, r.r, r.w = src, 0, 0 }

// fill reads more bytes, first moving the unconsumed ones to the front of
// the buffer. Callers consume before filling, so there is always room.
func (r *Reader) fill() error {
	if r.r > 0 {
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
	}
	for range 100 {
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// ReadMessage blocks until it has read one whole frame and returns the
// message inside it. The returned slice is the reader's own buffer: it is
// valid until the next call to ReadMessage or Reset (copy it to keep it).
// Its errors are CopyMessage's; with ErrTooLarge it returns a copy of the
// first max bytes of the message (so that its MSH can be read for the
// acknowledgement).
func (r *Reader) ReadMessage() ([]byte, error) {
	r.msg.Reset()
	_, err := r.CopyMessage(&r.msg)
	switch {
	case errors.Is(err, ErrTooLarge):
		return bytes.Clone(r.msg.Bytes()), err
	case err != nil:
		return nil, err
	}
	return r.msg.Bytes(), nil
}

// CopyMessage blocks until it has read one whole frame, writing the message
// inside it to w as it arrives, in pieces of at most 32 KiB; it holds no
// more of the message than that. It returns the length of the message read,
// of which the first max bytes at most were written to w. White space
// between frames is skipped.
//
// It returns io.EOF when the stream ends cleanly between frames,
// io.ErrUnexpectedEOF when it ends inside one, a *FrameError when the
// stream is not MLLP, the source's or w's error as it is (a timeout, a
// closed connection, a full disk; the stream is then out of step),
// ErrTooLarge when the message is over max (the rest of the frame was read
// and dropped), and ErrAbandoned when a start block interrupts the frame
// (what came before it was written to w; the next call reads the new
// frame). After ErrTooLarge and ErrAbandoned the stream is in step.
func (r *Reader) CopyMessage(w io.Writer) (int64, error) {
	if err := r.start(); err != nil {
		return 0, err
	}
	var n int64
	for {
		if r.r == r.w {
			if err := r.fill(); err != nil {
				return n, unexpected(err)
			}
		}
		chunk := r.buf[r.r:r.w]
		end := bytes.IndexByte(chunk, EndBlock)
		if end >= 0 {
			chunk = chunk[:end]
		}
		restart := bytes.IndexByte(chunk, StartBlock)
		if restart >= 0 {
			chunk = chunk[:restart]
		}
		if room := int64(r.max) - n; room > 0 {
			if _, err := w.Write(chunk[:min(int64(len(chunk)), room)]); err != nil {
				return n, err
			}
		}
		n += int64(len(chunk))
		r.r += len(chunk)
		switch {
		case restart >= 0:
			return n, ErrAbandoned // r.r is on the new start block
		case end >= 0:
			if err := r.endOfFrame(); err != nil {
				return n, err
			}
			if n > int64(r.max) {
				return n, ErrTooLarge
			}
			return n, nil
		}
	}
}

// start consumes the white space before a frame and its start block.
func (r *Reader) start() error {
	for {
		for r.r < r.w {
			c := r.buf[r.r]
			r.r++
			if c == StartBlock {
				return nil
			}
			if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
				return &FrameError{Msg: fmt.Sprintf("byte 0x%02X outside a frame (expected the start block 0x0B)", c)}
			}
		}
		if err := r.fill(); err != nil {
			return err
		}
	}
}

// endOfFrame consumes the end block, at r.r, and the carriage return after
// it.
func (r *Reader) endOfFrame() error {
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
	return nil
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
