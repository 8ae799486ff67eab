package hl7

import (
	"bytes"
	"strings"
)

// Unescape resolves the ER7 escape sequences of b written with delimiters d:
// \F\ \S\ \T\ \R\ \E\ give the field, component, subcomponent, repetition
// and escape characters; \Xhh…\ gives the bytes of its even number of hex
// digits (in the message's character set); the formatting sequences \.br\
// and \.sp\ give a line feed; \H\, \N\ and the other formatting commands
// (\.in…\, \.ti…\, \.sk…\, \.ce\, \.fi\, \.nf\) and the character set
// switches \Cxxyy\ and \Mxxyyzz\ are removed. Anything else — an unknown or
// malformed sequence, a lone escape character — is kept as it is.
//
// Without an escape character in b, Unescape returns b itself.
func Unescape(b []byte, d Delimiters) []byte {
	i := bytes.IndexByte(b, d.Escape)
	if i < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i >= 0 {
		out = append(out, b[:i]...)
		b = b[i+1:]
		j := bytes.IndexByte(b, d.Escape)
		if j < 0 {
			out = append(out, d.Escape)
			break
		}
		seq := b[:j]
		if res, ok := resolve(seq, d, out); ok {
			out = res
			b = b[j+1:]
		} else {
			// Not a sequence: keep the escape character literally and look
			// for a sequence from the next one on.
			out = append(out, d.Escape)
			out = append(out, seq...)
			b = b[j:]
		}
		i = bytes.IndexByte(b, d.Escape)
	}
	return append(out, b...)
}

// resolve appends the meaning of one escape sequence (without its escape
// characters) to out. ok is false when seq is not a sequence.
func resolve(seq []byte, d Delimiters, out []byte) ([]byte, bool) {
	if len(seq) == 0 {
		return out, false
	}
	if len(seq) == 1 {
		switch seq[0] {
		case 'F':
			return append(out, d.Field), true
		case 'S':
			return append(out, d.Component), true
		case 'T':
			return append(out, d.Subcomponent), true
		case 'R':
			return append(out, d.Repetition), true
		case 'E':
			return append(out, d.Escape), true
		case 'H', 'N':
			return out, true
		}
		return out, false
	}
	switch seq[0] {
	case 'X':
		hex := seq[1:]
		if len(hex)%2 != 0 {
			return out, false
		}
		start := len(out)
		for k := 0; k < len(hex); k += 2 {
			hi, ok1 := unhex(hex[k])
			lo, ok2 := unhex(hex[k+1])
			if !ok1 || !ok2 {
				return out[:start], false
			}
			out = append(out, hi<<4|lo)
		}
		return out, true
	case 'C', 'M':
		if allHex(seq[1:]) && (len(seq) == 5 || len(seq) == 7) {
			return out, true
		}
	case '.':
		cmd := string(seq[1:])
		switch {
		case cmd == "br", strings.HasPrefix(cmd, "sp"):
			return append(out, '\n'), true
		case cmd == "ce", cmd == "fi", cmd == "nf",
			strings.HasPrefix(cmd, "in"), strings.HasPrefix(cmd, "ti"), strings.HasPrefix(cmd, "sk"):
			return out, true
		}
	}
	return out, false
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func allHex(b []byte) bool {
	for _, c := range b {
		if _, ok := unhex(c); !ok {
			return false
		}
	}
	return true
}

// Escape returns s written as an ER7 value with delimiters d: each
// delimiter becomes its escape sequence (\F\ \S\ \T\ \R\ \E\), and CR and LF
// become \X0D\ and \X0A\ so that the value cannot end its segment.
// Unescape(Escape(s)) == s.
func Escape(s string, d Delimiters) string {
	if !strings.ContainsAny(s, string([]byte{d.Field, d.Component, d.Repetition, d.Escape, d.Subcomponent, '\r', '\n'})) {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s) + 8)
	e := string(d.Escape)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case d.Escape:
			sb.WriteString(e + "E" + e)
		case d.Field:
			sb.WriteString(e + "F" + e)
		case d.Component:
			sb.WriteString(e + "S" + e)
		case d.Subcomponent:
			sb.WriteString(e + "T" + e)
		case d.Repetition:
			sb.WriteString(e + "R" + e)
		case '\r':
			sb.WriteString(e + "X0D" + e)
		case '\n':
			sb.WriteString(e + "X0A" + e)
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}
