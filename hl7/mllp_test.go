package hl7

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadMessage(t *testing.T) {
	f := func(s string) string { return string(Frame([]byte(s))) }
	tests := []struct {
		name   string
		stream string
		max    int
		want   []string // messages, then the final error
		err    error
	}{
		{"one", f("MSH|1"), 0, []string{"MSH|1"}, io.EOF},
		{"two back to back", f("MSH|1") + f("MSH|2"), 0, []string{"MSH|1", "MSH|2"}, io.EOF},
		{"white space between frames", "\r\n" + f("MSH|1") + "\n \t" + f("MSH|2") + "\r\n", 0, []string{"MSH|1", "MSH|2"}, io.EOF},
		{"empty message", f(""), 0, []string{""}, io.EOF},
		{"CR inside message", f("MSH|1\rPID|2\r"), 0, []string{"MSH|1\rPID|2\r"}, io.EOF},
		{"exactly max", f("12345"), 5, []string{"12345"}, io.EOF},
		{"cut inside", "\x0bMSH|1", 0, nil, io.ErrUnexpectedEOF},
		{"cut after end block", "\x0bMSH|1\x1c", 0, nil, io.ErrUnexpectedEOF},
		{"empty stream", "", 0, nil, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(iotest.OneByteReader(strings.NewReader(tt.stream)), tt.max)
			for _, w := range tt.want {
				got, err := r.ReadMessage()
				if err != nil || string(got) != w {
					t.Fatalf("ReadMessage = %q, %v; want %q", got, err, w)
				}
			}
			if _, err := r.ReadMessage(); !errors.Is(err, tt.err) {
				t.Errorf("final error = %v, want %v", err, tt.err)
			}
		})
	}
}

func TestReadMessageFramingErrors(t *testing.T) {
	for name, stream := range map[string]string{
		"data before the start block": "MSH|1\x1c\r",
		"end block without CR":        "\x0bMSH|1\x1cX",
		"garbage after a frame":       string(Frame([]byte("MSH|1"))) + "junk",
	} {
		t.Run(name, func(t *testing.T) {
			r := NewReader(strings.NewReader(stream), 0)
			var err error
			for range 3 {
				if _, err = r.ReadMessage(); err != nil {
					break
				}
			}
			var fe *FrameError
			if !errors.As(err, &fe) {
				t.Errorf("error = %v, want a *FrameError", err)
			}
		})
	}
}

// TestReadMessageTooLarge checks an oversized frame is reported with its
// head, dropped, and the next frame is read normally.
func TestReadMessageTooLarge(t *testing.T) {
	big := "MSH|^~\\&|A|B|C|D|||ORU^R01|BIG1|P|2.5\r" + strings.Repeat("x", 200<<10)
	stream := string(Frame([]byte(big))) + string(Frame([]byte("MSH|small")))
	r := NewReader(strings.NewReader(stream), 1000)
	head, err := r.ReadMessage()
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error = %v, want ErrTooLarge", err)
	}
	if got, want := len(head), 1000; got != want {
		t.Errorf("head length = %d, want %d", got, want)
	}
	if h, err := ParseHeader(head); err != nil || h.ControlID != "BIG1" {
		t.Errorf("ParseHeader(head) = %+v, %v", h, err)
	}
	next, err := r.ReadMessage()
	if err != nil || string(next) != "MSH|small" {
		t.Errorf("next = %q, %v", next, err)
	}
	// One byte over the limit, ending right at the buffer edge.
	r = NewReader(bytes.NewReader(Frame([]byte("123456"))), 5)
	if _, err := r.ReadMessage(); !errors.Is(err, ErrTooLarge) {
		t.Errorf("6 bytes with max 5: %v, want ErrTooLarge", err)
	}
}

func TestWriteFrameAndUnframe(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteFrame(&buf, []byte("MSH|1")); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "\x0bMSH|1\x1c\r"; got != want {
		t.Errorf("WriteFrame wrote %q, want %q", got, want)
	}
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"\x0bMSH|1\x1c\r", "MSH|1", true},
		{"\r\n\x0bMSH|1\x1c\r\n", "MSH|1", true},
		{"\x0bMSH|1\x1c", "MSH|1", true},
		{"MSH|1", "MSH|1", false},
		{"\x0bMSH|1", "\x0bMSH|1", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := Unframe([]byte(tt.in))
		if string(got) != tt.want || ok != tt.ok {
			t.Errorf("Unframe(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestReaderReset(t *testing.T) {
	r := NewReader(strings.NewReader("\x0bMSH|1"), 0)
	if _, err := r.ReadMessage(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v", err)
	}
	r.Reset(bytes.NewReader(Frame([]byte("MSH|2"))))
	if got, err := r.ReadMessage(); err != nil || string(got) != "MSH|2" {
		t.Errorf("after Reset: %q, %v", got, err)
	}
}

// TestReadMessageResync checks that a start block inside an unterminated
// frame abandons it: ErrAbandoned, then the next frame is read whole.
func TestReadMessageResync(t *testing.T) {
	f := func(s string) string { return string(Frame([]byte(s))) }
	tests := []struct {
		name   string
		stream string
		max    int
		want   []string // "!" stands for ErrAbandoned, "+" for ErrTooLarge
	}{
		{"broken then good", "\x0bMSH|broken" + f("MSH|good"), 0, []string{"!", "MSH|good"}},
		{"start block right after the start block", "\x0b" + f("MSH|good"), 0, []string{"!", "MSH|good"}},
		{"two broken", "\x0bMSH|a\x0bMSH|b" + f("MSH|good"), 0, []string{"!", "!", "MSH|good"}},
		{"broken while over the limit", "\x0b" + strings.Repeat("x", 100) + f("MSH|1"), 10, []string{"!", "MSH|1"}},
		{"over the limit then good", f(strings.Repeat("x", 100)) + f("MSH|1"), 10, []string{"+", "MSH|1"}},
		{"good after a good", f("MSH|1") + "\x0bMSH|cut" + f("MSH|2"), 0, []string{"MSH|1", "!", "MSH|2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(iotest.OneByteReader(strings.NewReader(tt.stream)), tt.max)
			for i, w := range tt.want {
				got, err := r.ReadMessage()
				switch w {
				case "!":
					if !errors.Is(err, ErrAbandoned) {
						t.Fatalf("read %d: %q, %v; want ErrAbandoned", i+1, got, err)
					}
				case "+":
					if !errors.Is(err, ErrTooLarge) {
						t.Fatalf("read %d: %q, %v; want ErrTooLarge", i+1, got, err)
					}
				default:
					if err != nil || string(got) != w {
						t.Fatalf("read %d: %q, %v; want %q", i+1, got, err, w)
					}
				}
			}
			if _, err := r.ReadMessage(); !errors.Is(err, io.EOF) {
				t.Errorf("final error = %v, want io.EOF", err)
			}
		})
	}
}

// countingWriter counts what it is given and remembers the largest write.
type countingWriter struct{ n, largest int }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	w.largest = max(w.largest, len(p))
	return len(p), nil
}

// TestCopyMessageStreams checks a large message goes through in pieces of
// at most the reader's buffer, that only max bytes are written for an
// oversized one, and that the reader's buffer does not grow.
func TestCopyMessageStreams(t *testing.T) {
	body := bytes.Repeat([]byte("OBX|1|ED|x||"), 400<<10/12)
	for _, tt := range []struct {
		max         int
		wantWritten int
		wantErr     error
	}{
		{0, len(body), nil},
		{len(body), len(body), nil},
		{100 << 10, 100 << 10, ErrTooLarge},
	} {
		r := NewReader(bytes.NewReader(Frame(body)), tt.max)
		var w countingWriter
		n, err := r.CopyMessage(&w)
		if !errors.Is(err, tt.wantErr) || n != int64(len(body)) || w.n != tt.wantWritten {
			t.Errorf("max %d: CopyMessage = %d, %v, wrote %d; want %d, %v, wrote %d", tt.max, n, err, w.n, len(body), tt.wantErr, tt.wantWritten)
		}
		if w.largest > readBufSize || len(r.buf) != readBufSize {
			t.Errorf("max %d: largest write %d, buffer %d; want both at most %d", tt.max, w.largest, len(r.buf), readBufSize)
		}
	}
}

// TestCopyMessageWriterError checks w's error is returned as it is.
func TestCopyMessageWriterError(t *testing.T) {
	boom := errors.New("disk full")
	r := NewReader(bytes.NewReader(Frame([]byte("MSH|1"))), 0)
	if _, err := r.CopyMessage(errWriter{boom}); !errors.Is(err, boom) {
		t.Errorf("error = %v, want %v", err, boom)
	}
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }
