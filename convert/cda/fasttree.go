package cda

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// fastTree builds, for the XML senders write, the tree that etree builds
// from encoding/xml's tokens in parse, at a fraction of the cost (the
// tokenizer reads a byte at a time through an interface and was a quarter
// of the daemon's CPU for each HL7 v2 message acknowledged).
//
// It reads a subset of XML and gives up (ok false: the caller parses the
// usual way, which then accepts or refuses the input with its own error)
// on anything outside it or in doubt: a character encoding other than
// UTF-8, a DTD or any other <!…> directive, a CDATA section, a name that
// is not ASCII or has a colon at an end or more than one, an entity other
// than the five predefined ones and decimal or hexadecimal character
// references, a duplicate attribute, an unbalanced or unclosed tag, text
// outside the root, a second root, nesting as deep as MaxDepth, and every
// syntax error. Its contract: when ok, encoding/xml (strict, RawToken)
// with etree's ReadSettings of parse accepts raw and builds an equal tree,
// token for token (FuzzFastTree checks it against them), and checkProlog
// finds nothing to refuse.
func fastTree(raw []byte) (doc *etree.Document, ok bool) {
	s := string(raw) // one copy, whose substrings the tree holds
	r := &fastReader{s: s}
	doc = etree.NewDocument()
	stack := []*etree.Element{&doc.Element}
	rooted := false
	for r.i < len(s) {
		top := stack[len(stack)-1]
		if s[r.i] != '<' {
			text, ok := r.text(0)
			if !ok || len(stack) == 1 && !isSpace(text) {
				return nil, false
			}
			if c := top.CreateText(text); isSpace(text) {
				c.SetData(text) // flags it white space, as etree's reader does
			}
			continue
		}
		if r.i+1 >= len(s) {
			return nil, false
		}
		switch s[r.i+1] {
		case '/':
			r.i += 2
			name, ok := r.name()
			if !ok || len(stack) == 1 || !isTag(top, name) {
				return nil, false
			}
			r.space()
			if !r.eat('>') {
				return nil, false
			}
			stack = stack[:len(stack)-1]
		case '?':
			r.i += 2
			target, ok := r.name()
			if !ok {
				return nil, false
			}
			r.space()
			end := strings.Index(s[r.i:], "?>")
			if end < 0 {
				return nil, false
			}
			inst := s[r.i : r.i+end]
			r.i += end + 2
			if target == "xml" && !plainDeclaration(inst) {
				return nil, false
			}
			top.CreateProcInst(target, inst)
		case '!':
			// A comment: its first "--" must end it (encoding/xml).
			if !strings.HasPrefix(s[r.i:], "<!--") {
				return nil, false
			}
			body := r.i + 4
			end := strings.Index(s[body:], "--")
			if end < 0 || body+end+2 >= len(s) || s[body+end+2] != '>' {
				return nil, false
			}
			top.CreateComment(s[body : body+end])
			r.i = body + end + 3
		default:
			r.i++
			if len(stack) >= MaxDepth || len(stack) == 1 && rooted {
				return nil, false
			}
			rooted = true
			name, ok := r.name()
			if !ok {
				return nil, false
			}
			e := top.CreateElement(name)
			empty, ok := r.attributes(e)
			if !ok {
				return nil, false
			}
			if !empty {
				stack = append(stack, e)
			}
		}
	}
	if len(stack) != 1 || !rooted {
		return nil, false
	}
	return doc, true
}

// fastReader reads a document for fastTree: s holds its bytes, i is the
// next one to read. The strings of the tree (names, white space, text
// without references or carriage returns) are substrings of s.
type fastReader struct {
	s     string
	i     int
	buf   []byte       // text being decoded (references, carriage returns)
	attrs []etree.Attr // the attributes of the start tag being read
}

// name reads an ASCII XML name with at most one colon, not at an end
// (etree splits such a name where encoding/xml does).
func (r *fastReader) name() (string, bool) {
	start := r.i
	for r.i < len(r.s) && isNameByte(r.s[r.i]) {
		r.i++
	}
	b := r.s[start:r.i]
	switch {
	case len(b) == 0 || r.i < len(r.s) && r.s[r.i] >= utf8.RuneSelf:
		return "", false
	case !('a' <= b[0] && b[0] <= 'z' || 'A' <= b[0] && b[0] <= 'Z' || b[0] == '_'):
		return "", false
	case strings.Count(b, ":") > 1 || b[len(b)-1] == ':':
		return "", false
	}
	return b, true
}

// isTag reports whether name, as read ("prefix:local" or "local"), is
// e's (etree's FullTag, without building it).
func isTag(e *etree.Element, name string) bool {
	if e.Space == "" {
		return name == e.Tag
	}
	n := len(e.Space)
	return len(name) == n+1+len(e.Tag) && name[:n] == e.Space && name[n] == ':' && name[n+1:] == e.Tag
}

// isNameByte reports whether c is an ASCII byte of an XML name.
func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '.' || c == '-'
}

// attributes reads the attributes of a start tag into e, and its end:
// empty says it ended with "/>".
func (r *fastReader) attributes(e *etree.Element) (empty, ok bool) {
	r.attrs = r.attrs[:0]
	for {
		r.space()
		if r.i >= len(r.s) {
			return false, false
		}
		switch r.s[r.i] {
		case '/':
			r.i++
			if !r.eat('>') {
				return false, false
			}
			r.setAttributes(e)
			return true, true
		case '>':
			r.i++
			r.setAttributes(e)
			return false, true
		}
		name, ok := r.name()
		if !ok {
			return false, false
		}
		r.space()
		if !r.eat('=') {
			return false, false
		}
		r.space()
		if r.i >= len(r.s) || r.s[r.i] != '"' && r.s[r.i] != '\'' {
			return false, false
		}
		quote := r.s[r.i]
		r.i++
		value, ok := r.text(quote)
		if !ok {
			return false, false
		}
		for _, a := range r.attrs {
			if a.Key == name { // the same name: a duplicate, etree merges it
				return false, false
			}
		}
		r.attrs = append(r.attrs, etree.Attr{Key: name, Value: value})
	}
}

// setAttributes gives e the attributes read (r.attrs), in one allocation.
func (r *fastReader) setAttributes(e *etree.Element) {
	if len(r.attrs) > 0 {
		e.Attr = make([]etree.Attr, 0, len(r.attrs))
	}
	for _, a := range r.attrs {
		e.CreateAttr(a.Key, a.Value)
	}
}

// text reads character data up to the next '<' (quote 0) or an attribute
// value up to its closing quote (consumed), as encoding/xml decodes them:
// the predefined entities and character references replaced, "\r\n" and a
// lone "\r" read as "\n", every character valid UTF-8 in XML's range.
func (r *fastReader) text(quote byte) (string, bool) {
	start := r.i
	plain := true // no entity or carriage return: the bytes as they are
	r.buf = r.buf[:0]
	for r.i < len(r.s) {
		c := r.s[r.i]
		if plainASCII[c] && plain {
			r.i++ // the common case, kept tight: base64 bodies are long
			continue
		}
		switch {
		case c == quote && quote != 0:
			s := r.finish(start, plain)
			r.i++
			return s, true
		case c == '<':
			if quote != 0 {
				return "", false
			}
			return r.finish(start, plain), true
		case c == '>':
			if quote == 0 && r.i-start >= 2 && r.s[r.i-1] == ']' && r.s[r.i-2] == ']' {
				return "", false // "]]>" outside a CDATA section
			}
		case c == '&' || c == '\r':
			if plain {
				r.buf = append(r.buf, r.s[start:r.i]...)
				plain = false
			}
			if c == '\r' {
				r.buf = append(r.buf, '\n')
				if r.i+1 < len(r.s) && r.s[r.i+1] == '\n' {
					r.i++
				}
				r.i++
				continue
			}
			if !r.entity() {
				return "", false
			}
			continue
		case c < 0x20:
			if c != '\t' && c != '\n' {
				return "", false
			}
		case c >= utf8.RuneSelf:
			ch, size := utf8.DecodeRuneInString(r.s[r.i:])
			if ch == utf8.RuneError && size == 1 || !inXMLRange(ch) {
				return "", false
			}
			if !plain {
				r.buf = append(r.buf, r.s[r.i:r.i+size]...)
			}
			r.i += size
			continue
		}
		if !plain {
			r.buf = append(r.buf, c)
		}
		r.i++
	}
	if quote != 0 {
		return "", false
	}
	return r.finish(start, plain), true
}

// plainASCII marks the bytes text may hold as they are, whatever its
// quote: printable ASCII but the markup and quote characters, tab and
// line feed.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < 0x7F; c++ {
		t[c] = !strings.ContainsRune(`<>&"'`, rune(c))
	}
	t['\t'], t['\n'] = true, true
	return t
}()

// finish returns the text read since start.
func (r *fastReader) finish(start int, plain bool) string {
	if plain {
		return r.s[start:r.i]
	}
	return string(r.buf)
}

// predefined are the entities XML defines without a DTD.
var predefined = map[string]byte{"lt": '<', "gt": '>', "amp": '&', "apos": '\'', "quot": '"'}

// entity decodes the entity or character reference at r.i into r.buf.
func (r *fastReader) entity() bool {
	semi := strings.IndexByte(r.s[r.i:min(len(r.s), r.i+12)], ';')
	if semi < 2 {
		return false
	}
	ref := r.s[r.i+1 : r.i+semi]
	r.i += semi + 1
	if ref[0] != '#' {
		c, ok := predefined[ref]
		if ok {
			r.buf = append(r.buf, c)
		}
		return ok
	}
	digits, base := ref[1:], 10
	if len(digits) > 0 && digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	for _, d := range []byte(digits) {
		if !('0' <= d && d <= '9' || base == 16 && ('a' <= d && d <= 'f' || 'A' <= d && d <= 'F')) {
			return false
		}
	}
	n, err := strconv.ParseUint(digits, base, 32)
	if err != nil || n > utf8.MaxRune {
		return false
	}
	// As encoding/xml: a surrogate becomes U+FFFD, then the range applies.
	s := string(rune(n))
	if ch, _ := utf8.DecodeRuneInString(s); !inXMLRange(ch) {
		return false
	}
	r.buf = append(r.buf, s...)
	return true
}

// space skips XML white space.
func (r *fastReader) space() {
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// eat consumes c, reporting whether it was next.
func (r *fastReader) eat(c byte) bool {
	if r.i < len(r.s) && r.s[r.i] == c {
		r.i++
		return true
	}
	return false
}

// isSpace reports whether s is XML white space only (etree's test).
func isSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// inXMLRange reports whether ch is an XML Char (encoding/xml's test).
func inXMLRange(ch rune) bool {
	return ch == 0x09 || ch == 0x0A || ch == 0x0D ||
		ch >= 0x20 && ch <= 0xD7FF ||
		ch >= 0xE000 && ch <= 0xFFFD ||
		ch >= 0x10000 && ch <= 0x10FFFF
}

// plainDeclaration reports whether the XML declaration's content (after
// "<?xml " up to "?>") is version 1.0 and, at most once each, a UTF-8
// encoding and standalone, quoted, one space apart: what encoding/xml
// reads without a CharsetReader, each value where it looks for it.
func plainDeclaration(inst string) bool {
	s := strings.TrimRight(inst, " \t\r\n")
	seen := map[string]bool{}
	for first := true; s != ""; first = false {
		if !first {
			if s[0] != ' ' {
				return false
			}
			s = s[1:]
		}
		name, rest, ok := strings.Cut(s, "=")
		if !ok || len(rest) < 2 || rest[0] != '"' && rest[0] != '\'' || seen[name] || first != (name == "version") {
			return false
		}
		end := strings.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return false
		}
		switch v := rest[1 : 1+end]; name {
		case "version":
			ok = v == "1.0"
		case "encoding":
			ok = strings.EqualFold(v, "utf-8")
		case "standalone":
			ok = v == "yes" || v == "no"
		default:
			ok = false
		}
		if !ok {
			return false
		}
		seen[name] = true
		s = rest[2+end:]
	}
	return seen["version"]
}
