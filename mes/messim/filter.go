package messim

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"hash"
	"io"
)

// dataFilter passes a JSON text through unchanged, except the characters of
// the strings at its path (content[i].attachment.data of a DocumentReference,
// entry[i].resource.data of a Bundle), which it feeds to a base64 sink and
// leaves out: the JSON decoder downstream sees "data": "". So a resource of
// any size is checked with the memory of its metadata.
//
// It is a lexer, not a validator: on malformed input it may lose track, and
// the decoder downstream reports the syntax error. It never panics.
type dataFilter struct {
	r    io.Reader
	buf  []byte
	sink *b64sink
	path []string // member names from the top, "[]" for an array element

	stack   []frame
	inStr   bool
	esc     bool
	isKey   bool
	divert  bool
	key     []byte
	keyBad  bool // key too long or escaped: matches nothing
	diverts int  // data strings diverted
}

type frame struct {
	obj   bool
	key   string // in an object: the current member's name
	state uint8
}

// frame states.
const (
	stKey   uint8 = iota // object: expecting a member name or '}'
	stColon              // object: expecting ':'
	stValue              // expecting a value (or ']')
	stAfter              // after a value: expecting ',' or the close
)

const maxKey = 32

// The paths of the data a filter diverts.
var (
	inlineDataPath = []string{"content", "[]", "attachment", "data"}
	binaryDataPath = []string{"entry", "[]", "resource", "data"}
)

func newDataFilter(r io.Reader, sink *b64sink, path []string) *dataFilter {
	return &dataFilter{r: r, buf: make([]byte, 64<<10), sink: sink, path: path}
}

// Read fills p with the filtered text. Output is never longer than input.
func (f *dataFilter) Read(p []byte) (int, error) {
	for {
		if len(p) == 0 {
			return 0, nil
		}
		n := min(len(p), len(f.buf))
		k, err := f.r.Read(f.buf[:n])
		out := f.process(f.buf[:k], p[:0])
		if len(out) > 0 || err != nil {
			return len(out), err
		}
	}
}

// atData reports whether a string value starting now is at the path.
func (f *dataFilter) atData() bool {
	s := f.stack
	if len(s) != len(f.path) || s[len(s)-1].state != stValue {
		return false
	}
	for i, name := range f.path {
		if s[i].obj != (name != "[]") || s[i].obj && s[i].key != name {
			return false
		}
	}
	return true
}

// valueStart records that a value starts in the innermost container.
func (f *dataFilter) valueStart() {
	if n := len(f.stack); n > 0 {
		f.stack[n-1].state = stAfter
	}
}

func (f *dataFilter) process(in, out []byte) []byte {
	for i := 0; i < len(in); i++ {
		c := in[i]
		if f.inStr {
			if f.divert {
				// Fast path: hand the run up to the next quote or
				// backslash to the sink.
				j := bytes.IndexAny(in[i:], `"\`)
				if f.esc {
					j = 0
				}
				if j < 0 {
					f.sink.write(in[i:])
					return out
				}
				if j > 0 {
					f.sink.write(in[i : i+j])
					i += j
					c = in[i]
				}
				switch {
				case f.esc:
					f.esc = false
					if c == '/' {
						f.sink.write([]byte{'/'})
					} else {
						f.sink.fail(errEscape)
					}
				case c == '\\':
					f.esc = true
				default: // closing quote
					f.inStr, f.divert = false, false
					f.diverts++
					out = append(out, c)
				}
				continue
			}
			out = append(out, c)
			switch {
			case f.esc:
				f.esc = false
				f.keyBad = true
			case c == '\\':
				f.esc = true
				f.keyBad = true
			case c == '"':
				f.inStr = false
				if f.isKey {
					f.isKey = false
					if n := len(f.stack); n > 0 {
						f.stack[n-1].key = ""
						if !f.keyBad {
							f.stack[n-1].key = string(f.key)
						}
						f.stack[n-1].state = stColon
					}
				}
			default:
				if f.isKey {
					if len(f.key) < maxKey {
						f.key = append(f.key, c)
					} else {
						f.keyBad = true
					}
				}
			}
			continue
		}
		out = append(out, c)
		n := len(f.stack)
		switch c {
		case '"':
			f.inStr = true
			if n > 0 && f.stack[n-1].obj && f.stack[n-1].state == stKey {
				f.isKey, f.key, f.keyBad = true, f.key[:0], false
				continue
			}
			if f.atData() {
				f.divert = true
			}
			f.valueStart()
		case '{', '[':
			f.valueStart()
			st := stValue
			if c == '{' {
				st = stKey
			}
			f.stack = append(f.stack, frame{obj: c == '{', state: st})
		case '}', ']':
			if n > 0 {
				f.stack = f.stack[:n-1]
			}
		case ':':
			if n > 0 && f.stack[n-1].state == stColon {
				f.stack[n-1].state = stValue
			}
		case ',':
			if n > 0 {
				f.stack[n-1].state = stValue
				if f.stack[n-1].obj {
					f.stack[n-1].state = stKey
				}
			}
		case ' ', '\t', '\r', '\n':
		default:
			f.valueStart()
		}
	}
	return out
}

var (
	errEscape  = errors.New("attachment.data holds an escape sequence other than \\/")
	errBase64  = errors.New("attachment.data is not valid base64")
	errPadding = errors.New("attachment.data has data after its padding")
)

// b64sink decodes base64 as it arrives (whitespace ignored, padding
// required), hashes the decoded bytes with SHA-1, counts them and copies them
// to w, if set. Its first error sticks.
type b64sink struct {
	w      io.Writer
	h      hash.Hash
	n      int64
	pend   []byte
	dec    []byte
	padded bool
	err    error
}

const sinkChunk = 48 << 10 // base64 characters decoded at a time (multiple of 4)

func newB64Sink(w io.Writer) *b64sink {
	return &b64sink{
		w:    w,
		h:    sha1.New(),
		pend: make([]byte, 0, sinkChunk),
		dec:  make([]byte, base64.StdEncoding.DecodedLen(sinkChunk)),
	}
}

func (s *b64sink) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

// write takes more base64 characters.
func (s *b64sink) write(b []byte) {
	for len(b) > 0 && s.err == nil {
		span := b
		if i := bytes.IndexAny(b, " \t\r\n"); i >= 0 {
			span, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		for len(span) > 0 && s.err == nil {
			k := copy(s.pend[len(s.pend):cap(s.pend)], span)
			s.pend = s.pend[:len(s.pend)+k]
			span = span[k:]
			if len(s.pend) == cap(s.pend) {
				s.flush(false)
			}
		}
	}
}

// flush decodes the pending whole quanta, or everything when final.
func (s *b64sink) flush(final bool) {
	if s.err != nil {
		return
	}
	k := len(s.pend) - len(s.pend)%4
	if final && k != len(s.pend) {
		s.fail(errBase64)
		return
	}
	if k == 0 {
		return
	}
	if s.padded {
		s.fail(errPadding)
		return
	}
	n, err := base64.StdEncoding.Decode(s.dec, s.pend[:k])
	if err != nil {
		s.fail(errBase64)
		return
	}
	s.h.Write(s.dec[:n])
	s.n += int64(n)
	if s.w != nil {
		if _, err := s.w.Write(s.dec[:n]); err != nil {
			s.fail(err)
			return
		}
	}
	s.padded = s.pend[k-1] == '='
	s.pend = s.pend[:copy(s.pend, s.pend[k:])]
}

// close decodes what is left and returns the first error.
func (s *b64sink) close() error {
	s.flush(true)
	return s.err
}
