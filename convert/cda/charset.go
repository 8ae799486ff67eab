package cda

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// charsetPolicy is the CharsetReader of one parse: UTF-8 and US-ASCII pass
// through, ISO-8859-1 and windows-1252 are decoded, anything else is refused
// and remembered for the error message.
type charsetPolicy struct {
	unsupported string
	singleByte  bool // the document is ISO-8859-1 or windows-1252, decoded to UTF-8
}

func (c *charsetPolicy) reader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1":
		c.singleByte = true
		return &singleByteReader{r: input}, nil
	case "windows-1252", "cp1252":
		c.singleByte = true
		return &singleByteReader{r: input, cp1252: true}, nil
	}
	c.unsupported = label
	return nil, fmt.Errorf("unsupported character encoding")
}

// singleByteReader decodes ISO-8859-1 (or windows-1252) into UTF-8.
type singleByteReader struct {
	r       io.Reader
	cp1252  bool
	pending []byte
	buf     [4096]byte
}

// cp1252High maps windows-1252 bytes 0x80–0x9F; zero means "as ISO-8859-1".
var cp1252High = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
}

func (s *singleByteReader) Read(p []byte) (int, error) {
	if len(s.pending) == 0 {
		n, err := s.r.Read(s.buf[:])
		if n == 0 {
			return 0, err
		}
		out := make([]byte, 0, n*2)
		for _, b := range s.buf[:n] {
			r := rune(b)
			if s.cp1252 && b >= 0x80 && b <= 0x9F && cp1252High[b-0x80] != 0 {
				r = cp1252High[b-0x80]
			}
			out = utf8.AppendRune(out, r)
		}
		s.pending = out
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	return n, nil
}
