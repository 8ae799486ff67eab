package hl7

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// charsets maps the names docbridge accepts (HL7 table 0211 for MSH-18, and
// common IANA names for a per-source override) to their canonical name and
// encoding; a nil encoding is UTF-8, of which ASCII is a subset. Only
// character sets that keep ASCII bytes as ASCII can carry ER7 delimiters, so
// UTF-16 and UTF-32 ("UNICODE UTF-16") are not here.
var charsets = map[string]struct {
	name string
	enc  encoding.Encoding
}{
	"":              {"UTF-8", nil},
	"ASCII":         {"UTF-8", nil},
	"US-ASCII":      {"UTF-8", nil},
	"UNICODE UTF-8": {"UTF-8", nil},
	"UTF-8":         {"UTF-8", nil},
	"UTF8":          {"UTF-8", nil},
	"8859/1":        {"ISO-8859-1", charmap.ISO8859_1},
	"ISO-8859-1":    {"ISO-8859-1", charmap.ISO8859_1},
	"LATIN1":        {"ISO-8859-1", charmap.ISO8859_1},
	"8859/2":        {"ISO-8859-2", charmap.ISO8859_2},
	"ISO-8859-2":    {"ISO-8859-2", charmap.ISO8859_2},
	"8859/15":       {"ISO-8859-15", charmap.ISO8859_15},
	"ISO-8859-15":   {"ISO-8859-15", charmap.ISO8859_15},
	"LATIN9":        {"ISO-8859-15", charmap.ISO8859_15},
	"WINDOWS-1252":  {"windows-1252", charmap.Windows1252},
	"CP1252":        {"windows-1252", charmap.Windows1252},
}

// CharsetNames returns the character set names MSH-18 and
// ParseOptions.Charset may use (case does not matter). An empty MSH-18
// means UTF-8 (HL7's default is ASCII, a subset).
func CharsetNames() []string {
	out := make([]string, 0, len(charsets))
	for k := range charsets {
		if k != "" {
			out = append(out, k)
		}
	}
	return out
}

// lookupCharset resolves a character set name.
func lookupCharset(name string) (string, encoding.Encoding, error) {
	key := strings.ToUpper(strings.TrimSpace(name))
	if c, ok := charsets[key]; ok {
		return c.name, c.enc, nil
	}
	if len(name) > 32 {
		name = name[:32] + "…"
	}
	return "", nil, parseErrorf(1, "MSH-18 character set %q is not supported (UNICODE UTF-8, 8859/1, 8859/2, 8859/15 or a configured override such as windows-1252)", name)
}

// decode turns bytes in the message's character set into UTF-8 text.
func (m *Message) decode(b []byte) string {
	if m.enc == nil || ascii(b) {
		if utf8.Valid(b) {
			return string(b)
		}
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	out, err := m.enc.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
