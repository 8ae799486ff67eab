package hl7

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
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
// than the limit, and reads back what Frame wrote.
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
				if errors.Is(err, ErrTooLarge) {
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
		if bytes.IndexByte(stream, EndBlock) < 0 && len(stream) <= max {
			got, err := NewReader(bytes.NewReader(Frame(stream)), max).ReadMessage()
			if err != nil || !bytes.Equal(got, stream) {
				t.Fatalf("Frame round trip: %q, %v", got, err)
			}
		}
	})
}
