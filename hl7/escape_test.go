package hl7

import (
	"bytes"
	"testing"
)

// TestUnescape covers every escape sequence of ER7.
func TestUnescape(t *testing.T) {
	d := DefaultDelimiters
	tests := []struct {
		in, want string
	}{
		{`plain`, `plain`},
		{`\F\`, `|`},
		{`\S\`, `^`},
		{`\T\`, `&`},
		{`\R\`, `~`},
		{`\E\`, `\`},
		{`a\F\b\S\c\T\d\R\e\E\f`, `a|b^c&d~e\f`},
		{`\X41\`, `A`},
		{`\X0D0A\`, "\r\n"},
		{`\Xc3a9\`, "\xc3\xa9"},
		{`\X4\`, `\X4\`},   // odd number of digits: kept
		{`\XZZ\`, `\XZZ\`}, // not hex: kept
		{`\X\`, `\X\`},     // no digits
		{`l1\.br\l2`, "l1\nl2"},
		{`l1\.sp2\l2`, "l1\nl2"},
		{`\.in+4\x\.ti-2\\.sk1\\.ce\\.fi\\.nf\`, `x`},
		{`\H\bold\N\`, `bold`},
		{`\C2842\x\M2442\`, `x`},
		{`\C28\`, `\C28\`}, // malformed charset switch: kept
		{`\Zcustom\`, `\Zcustom\`},
		{`\Q\`, `\Q\`},
		{`trailing \`, `trailing \`},
		{`\\`, `\\`},
		{`a\b\F\`, `a\b|`}, // an unknown sequence does not swallow the next one
		{`\E\F\`, `\F\`},   // \E\ then literal F\ … kept as written
		{`\.br`, `\.br`},   // unterminated
	}
	for _, tt := range tests {
		if got := string(Unescape([]byte(tt.in), d)); got != tt.want {
			t.Errorf("Unescape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUnescapeNoCopy(t *testing.T) {
	in := []byte("no escape here")
	if got := Unescape(in, DefaultDelimiters); &got[0] != &in[0] {
		t.Error("Unescape copied a value without escapes")
	}
}

func TestEscapeRoundTrip(t *testing.T) {
	d := DefaultDelimiters
	for _, s := range []string{"", "plain", `a|b^c&d~e\f`, "line1\r\nline2", `\F\`, "é|è"} {
		e := Escape(s, d)
		if bytes.ContainsAny([]byte(e), "|^&~\r\n") {
			t.Errorf("Escape(%q) = %q still holds a delimiter", s, e)
		}
		if got := string(Unescape([]byte(e), d)); got != s {
			t.Errorf("Unescape(Escape(%q)) = %q", s, got)
		}
	}
	if got, want := Escape(`a|b^c&d~e\f`, d), `a\F\b\S\c\T\d\R\e\E\f`; got != want {
		t.Errorf("Escape = %q, want %q", got, want)
	}
}
