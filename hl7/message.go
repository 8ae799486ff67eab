package hl7

import (
	"bytes"
	"fmt"

	"golang.org/x/text/encoding"
)

// ParseError says why a message could not be parsed. Segment is the 1-based
// number of the segment at fault (0 when the fault is not in one segment).
// Msg never quotes message content.
type ParseError struct {
	Segment int
	Msg     string
}

func (e *ParseError) Error() string {
	if e.Segment > 0 {
		return fmt.Sprintf("hl7: segment %d: %s", e.Segment, e.Msg)
	}
	return "hl7: " + e.Msg
}

func parseErrorf(seg int, format string, args ...any) *ParseError {
	return &ParseError{Segment: seg, Msg: fmt.Sprintf(format, args...)}
}

// ParseOptions change how Parse reads a message.
type ParseOptions struct {
	// Charset, when set, overrides MSH-18: the source is known to send this
	// character set whatever it declares (for example "windows-1252" for a
	// sender that declares 8859/1 but writes Windows characters). Names are
	// those of CharsetNames.
	Charset string
}

// Message is one parsed ER7 message. It refers to the input bytes without
// copying them: the caller must not modify the input while the message or
// any Value from it is in use. A Message is read-only and safe for
// concurrent use.
type Message struct {
	raw     []byte
	delims  Delimiters
	segs    []Segment
	charset string            // the canonical name of the character set in use
	enc     encoding.Encoding // nil for UTF-8 (and ASCII)
}

// Segment is one segment of a message, without its terminator.
type Segment struct {
	b []byte
	m *Message
}

// Parse parses one ER7 message with default options. See ParseWith.
func Parse(raw []byte) (*Message, error) { return ParseWith(raw, ParseOptions{}) }

// ParseWith parses one ER7 message. raw may start with a UTF-8 byte order
// mark and white space; it must then start with MSH. The delimiters are read
// from MSH-1 and MSH-2. Segments end with CR (the standard), LF or CRLF: the
// way MSH ends decides which, and empty lines are skipped. A CR-terminated
// message tolerates an LF after each CR; an LF-terminated one tolerates a CR
// before each LF. Every segment must start with a three-character id of
// capital letters and digits followed by the field separator or its end.
// The character set is MSH-18 (or o.Charset); an unsupported one is an
// error. Parse does not check that a message is well formed beyond that:
// the meaning of fields is the caller's business.
//
// Errors are *ParseError.
func ParseWith(raw []byte, o ParseOptions) (*Message, error) {
	b := trimLeft(raw)
	if len(b) == 0 {
		return nil, parseErrorf(0, "the message is empty")
	}
	if !bytes.HasPrefix(b, []byte("MSH")) {
		if bytes.HasPrefix(b, []byte("FHS")) || bytes.HasPrefix(b, []byte("BHS")) {
			return nil, parseErrorf(1, "the input is an HL7 batch (FHS/BHS); send one message at a time")
		}
		return nil, parseErrorf(1, "the message does not start with an MSH segment")
	}
	d, err := readDelimiters(b)
	if err != nil {
		return nil, err
	}
	m := &Message{raw: b, delims: d, segs: make([]Segment, 0, 32)}
	if err := m.split(b); err != nil {
		return nil, err
	}
	name := o.Charset
	if name == "" {
		name = string(m.segs[0].Field(18).Rep(1).Raw())
	}
	m.charset, m.enc, err = lookupCharset(name)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// trimLeft drops a UTF-8 byte order mark and leading white space.
func trimLeft(b []byte) []byte {
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	for len(b) > 0 && (b[0] == '\r' || b[0] == '\n' || b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// terminator finds how MSH ends: '\r' (CR or CRLF) or '\n' (LF). It searches
// windows of growing size so that a long message is not scanned twice. A
// message of one segment without terminator gives '\r'.
func terminator(b []byte) byte {
	for lo, hi := 0, 1024; lo < len(b); lo, hi = hi, hi*4 {
		w := b[lo:min(hi, len(b))]
		cr, lf := bytes.IndexByte(w, '\r'), bytes.IndexByte(w, '\n')
		switch {
		case cr >= 0 && (lf < 0 || cr < lf):
			return '\r'
		case lf >= 0:
			return '\n'
		}
	}
	return '\r'
}

// split cuts b into segments and checks each one's id.
func (m *Message) split(b []byte) error {
	term := terminator(b)
	for n := 1; len(b) > 0; {
		var seg []byte
		if i := bytes.IndexByte(b, term); i >= 0 {
			seg, b = b[:i], b[i+1:]
		} else {
			seg, b = b, nil
		}
		if term == '\r' {
			for len(seg) > 0 && seg[0] == '\n' {
				seg = seg[1:]
			}
		} else if len(seg) > 0 && seg[len(seg)-1] == '\r' {
			seg = seg[:len(seg)-1]
		}
		if len(bytes.TrimSpace(seg)) == 0 {
			continue // an empty line, or trailing white space
		}
		if !validSegmentID(seg, m.delims.Field) {
			return parseErrorf(n, "the segment does not start with a three-character segment id followed by the field separator")
		}
		m.segs = append(m.segs, Segment{b: seg, m: m})
		n++
	}
	return nil
}

func validSegmentID(seg []byte, fs byte) bool {
	if len(seg) < 3 || (len(seg) > 3 && seg[3] != fs) {
		return false
	}
	for _, c := range seg[:3] {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Delimiters returns the message's delimiters.
func (m *Message) Delimiters() Delimiters { return m.delims }

// Charset returns the canonical name of the character set values are read
// in ("UTF-8", "ISO-8859-1", …).
func (m *Message) Charset() string { return m.charset }

// Raw returns the message bytes as parsed (after the byte order mark and
// leading white space).
func (m *Message) Raw() []byte { return m.raw }

// Segments returns every segment in order. The slice is the message's own:
// do not modify it.
func (m *Message) Segments() []Segment { return m.segs }

// Segment returns the first segment with the given id.
func (m *Message) Segment(id string) (Segment, bool) {
	for _, s := range m.segs {
		if s.Is(id) {
			return s, true
		}
	}
	return Segment{}, false
}

// All returns every segment with the given id, in order.
func (m *Message) All(id string) []Segment {
	var out []Segment
	for _, s := range m.segs {
		if s.Is(id) {
			out = append(out, s)
		}
	}
	return out
}

// ID returns the segment id ("MSH", "OBX", …).
func (s Segment) ID() string {
	if len(s.b) < 3 {
		return ""
	}
	return string(s.b[:3])
}

// Is reports whether the segment's id is id.
func (s Segment) Is(id string) bool { return len(s.b) >= 3 && string(s.b[:3]) == id }

// Raw returns the segment's bytes, without terminator.
func (s Segment) Raw() []byte { return s.b }

// Field returns field n (1-based, as HL7 numbers them: OBX-5 is Field(5)).
// In MSH, Field(1) is the field separator and Field(2) the encoding
// characters, both returned as literal values. A field the segment does not
// have is the empty Value.
func (s Segment) Field(n int) Value {
	if n <= 0 || len(s.b) <= 4 || s.m == nil {
		return Value{}
	}
	rest := s.b[4:]
	if s.Is("MSH") {
		switch n {
		case 1:
			return Value{b: s.b[3:4], m: s.m, lvl: levelLiteral}
		case 2:
			return Value{b: nth(rest, s.m.delims.Field, 1), m: s.m, lvl: levelLiteral}
		}
		n--
	}
	return Value{b: nth(rest, s.m.delims.Field, n), m: s.m, lvl: levelField}
}

// Fields returns how many fields the segment has (MSH counts MSH-1).
func (s Segment) Fields() int {
	if len(s.b) <= 4 {
		return 0
	}
	n := bytes.Count(s.b[4:], []byte{s.m.delims.Field}) + 1
	if s.Is("MSH") {
		n++
	}
	return n
}

// nth returns the n-th (1-based) part of b separated by sep, or nil.
func nth(b []byte, sep byte, n int) []byte {
	for ; n > 1; n-- {
		i := bytes.IndexByte(b, sep)
		if i < 0 {
			return nil
		}
		b = b[i+1:]
	}
	if i := bytes.IndexByte(b, sep); i >= 0 {
		return b[:i]
	}
	return b
}
