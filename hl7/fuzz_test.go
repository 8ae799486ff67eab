package hl7

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func seeds(f *testing.F) [][]byte {
	paths, _ := filepath.Glob("testdata/*.hl7")
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return append(out, []byte(""), []byte("MSH|^~\\&"), []byte("MSH|^~\\&|\\X\\|\\E\\E\\|"), []byte("MSH#*@!%#A\nPID#1#\r\n"))
}

// FuzzParse checks Parse never panics, that every segment, field,
// repetition, component and subcomponent of a parsed message can be read,
// and that escaping round-trips.
func FuzzParse(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		_ = m.Header()
		for _, s := range m.Segments() {
			if len(s.ID()) != 3 {
				t.Fatalf("segment id %q", s.ID())
			}
			for i := 1; i <= min(s.Fields(), 30); i++ {
				fv := s.Field(i)
				_ = fv.String()
				for _, r := range fv.Reps() {
					for c := 1; c <= 3; c++ {
						_ = r.Comp(c).Sub(2).String()
					}
				}
			}
		}
		s := string(raw)
		if got := string(Unescape([]byte(Escape(s, m.Delimiters())), m.Delimiters())); got != s {
			t.Fatalf("escape round trip: %q became %q", s, got)
		}
		_ = Ack{Code: AE, Original: m.Header(), Errors: []ErrorDetail{{Text: s}}}.Bytes()
	})
}

// FuzzMLLPReader checks the MLLP reader never panics, never returns more
// than the limit, and reads back what Frame wrote (of a message free of
// the framing bytes, as HL7 v2 content is).
func FuzzMLLPReader(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(Frame(s))
		f.Add(s)
	}
	f.Add([]byte("\x0b\x1c\r\x0bMSH\x1c\rjunk"))
	f.Fuzz(func(t *testing.T, stream []byte) {
		const max = 512
		r := NewReader(bytes.NewReader(stream), max)
		for range 64 {
			msg, err := r.ReadMessage()
			if len(msg) > max {
				t.Fatalf("message of %d bytes over the limit", len(msg))
			}
			if err != nil {
				if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrAbandoned) {
					continue
				}
				var fe *FrameError
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.As(err, &fe) {
					t.Fatalf("unexpected error %v", err)
				}
				break
			}
			if bytes.IndexByte(msg, EndBlock) >= 0 {
				t.Fatalf("message holds an end block")
			}
		}
		if bytes.IndexByte(stream, EndBlock) < 0 && bytes.IndexByte(stream, StartBlock) < 0 && len(stream) <= max {
			got, err := NewReader(bytes.NewReader(Frame(stream)), max).ReadMessage()
			if err != nil || !bytes.Equal(got, stream) {
				t.Fatalf("Frame round trip: %q, %v", got, err)
			}
		}
	})
}

// refFrame is one result of refFrames: the bytes written and the error.
type refFrame struct {
	written []byte
	n       int64
	err     error // nil, ErrTooLarge, ErrAbandoned or the final error
}

// refFrames reads stream byte by byte as HL7 v2.5.1 appendix C says, with
// resynchronisation on a start block inside a frame: the reference the
// buffered reader is checked against. Final errors are io.EOF,
// io.ErrUnexpectedEOF, or a *FrameError (as errFrame).
func refFrames(stream []byte, max int) []refFrame {
	var out []refFrame
	i := 0
	for {
		for i < len(stream) && strings.IndexByte(" \t\r\n", stream[i]) >= 0 {
			i++
		}
		switch {
		case i == len(stream):
			return append(out, refFrame{err: io.EOF})
		case stream[i] != StartBlock:
			return append(out, refFrame{err: errFrame})
		}
		i++
		var msg []byte
		for {
			if i == len(stream) {
				return append(out, refFrame{written: clip(msg, max), n: int64(len(msg)), err: io.ErrUnexpectedEOF})
			}
			c := stream[i]
			if c == StartBlock {
				out = append(out, refFrame{written: clip(msg, max), n: int64(len(msg)), err: ErrAbandoned})
				break
			}
			i++
			if c != EndBlock {
				msg = append(msg, c)
				continue
			}
			if i == len(stream) {
				return append(out, refFrame{written: clip(msg, max), n: int64(len(msg)), err: io.ErrUnexpectedEOF})
			}
			if stream[i] != CarriageReturn {
				return append(out, refFrame{written: clip(msg, max), n: int64(len(msg)), err: errFrame})
			}
			i++
			var err error
			if len(msg) > max {
				err = ErrTooLarge
			}
			out = append(out, refFrame{written: clip(msg, max), n: int64(len(msg)), err: err})
			break
		}
	}
}

var errFrame = errors.New("frame error")

func clip(b []byte, n int) []byte { return b[:min(len(b), n)] }

// chunkReader returns its stream in reads of the sizes given in turn.
type chunkReader struct {
	b     []byte
	sizes []byte
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(c.sizes) > 0 {
		n, c.sizes = int(c.sizes[0])+1, c.sizes[1:]
	}
	n = copy(p[:min(n, len(p))], c.b)
	c.b = c.b[n:]
	return n, nil
}

// FuzzCopyMessage checks the buffered reader against refFrames, whatever
// the sizes of the reads it gets.
func FuzzCopyMessage(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(Frame(s), []byte{7, 200})
		f.Add(append([]byte{StartBlock}, Frame(s)...), []byte{0})
	}
	f.Add([]byte("\x0bMSH|a\x0b\x0bMSH|b\x1c\r \x0bMSH|c"), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, stream, sizes []byte) {
		const max = 40
		want := refFrames(stream, max)
		r := NewReader(&chunkReader{b: stream, sizes: sizes}, max)
		for i, w := range want {
			var got bytes.Buffer
			n, err := r.CopyMessage(&got)
			var fe *FrameError
			if errors.As(err, &fe) {
				err = errFrame
			}
			if !errors.Is(err, w.err) || (w.err != io.EOF && w.err != errFrame && (n != w.n || !bytes.Equal(got.Bytes(), w.written))) {
				t.Fatalf("frame %d: CopyMessage wrote %q (n %d), %v; want %q (n %d), %v", i, got.Bytes(), n, err, w.written, w.n, w.err)
			}
		}
	})
}
