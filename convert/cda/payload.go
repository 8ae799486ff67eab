package cda

import (
	"bytes"
	"encoding/base64"
	"io"
	"strings"

	"github.com/beevik/etree"

	"github.com/docbridge/docbridge"
)

// checkPayload checks the embedded content of a level-1 body: base64 that
// decodes to its end, and for a PDF the file's signature and end marker, so
// that a truncated or corrupted transfer is refused instead of delivered.
// It decodes in a stream and keeps only the first and last bytes. When the
// document was read by ConvertStream, txt's text was checked while it was
// read (and is not in the tree): that result is used.
func (b *builder) checkPayload(txt *etree.Element, mediaType string) {
	if !strings.EqualFold(attr(txt, "representation"), "B64") {
		return
	}
	pc := b.payloads[txt]
	if pc == nil {
		pc = &payloadCheck{}
		for _, t := range txt.Child {
			if c, ok := t.(*etree.CharData); ok {
				pc.write([]byte(c.Data))
			}
		}
		pc.close()
	}
	if pc.err != nil {
		b.errorf(docbridge.Malformed, "component/nonXMLBody/text is not valid base64 (%s): the embedded document is corrupted or truncated", clip(pc.err.Error()))
		return
	}
	if !strings.EqualFold(mediaType, "application/pdf") {
		return
	}
	all := append(pc.head[:len(pc.head):len(pc.head)], pc.tail.buf...)
	if !bytes.HasPrefix(pc.head, []byte("%PDF-")) {
		b.errorf(docbridge.Malformed, "the embedded document is declared application/pdf but is not a PDF (no %%PDF- signature)")
	} else if !bytes.Contains(all[max(0, len(all)-1024):], []byte("%%EOF")) {
		b.errorf(docbridge.Malformed, "the embedded PDF has no %%%%EOF end marker: it is truncated")
	}
}

// payloadBlock is how many base64 characters payloadCheck decodes at a
// time (a multiple of 4).
const payloadBlock = 16 << 10

// payloadCheck decodes base64 text written to it in pieces of any size,
// keeping only the first 8 and the last (at least 1024) decoded bytes, the
// first error, and whether any text other than white space was written.
// The white space allowed inside base64 text (space, tab, CR, LF) is
// skipped. Its result does not depend on how the text was cut into pieces,
// which is what lets the tree and the streaming readers agree.
type payloadCheck struct {
	pend   []byte // base64 characters not decoded yet, < payloadBlock
	off    int64  // base64 characters decoded so far
	padded bool   // a block ending with padding was decoded: nothing may follow
	err    error
	head   []byte // the first 8 decoded bytes
	tail   tailWriter
	text   bool // a character other than white space was written
	out    []byte
}

func (c *payloadCheck) write(p []byte) {
	for _, ch := range p {
		if ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t' {
			continue
		}
		c.text = true
		if c.err != nil {
			return
		}
		if c.pend == nil {
			c.pend = make([]byte, 0, payloadBlock)
		}
		c.pend = append(c.pend, ch)
		if len(c.pend) == payloadBlock {
			c.decode()
		}
	}
}

// close decodes what is left; a partial last quantum is io.ErrUnexpectedEOF.
func (c *payloadCheck) close() {
	if c.err != nil || len(c.pend) == 0 {
		return
	}
	if len(c.pend)%4 != 0 {
		c.err = io.ErrUnexpectedEOF
		return
	}
	c.decode()
}

func (c *payloadCheck) decode() {
	if c.padded {
		c.err = base64.CorruptInputError(c.off)
		return
	}
	if c.out == nil {
		c.out = make([]byte, base64.StdEncoding.DecodedLen(payloadBlock))
		c.tail.keep = 1024
	}
	n, err := base64.StdEncoding.Decode(c.out, c.pend)
	if cie, ok := err.(base64.CorruptInputError); ok {
		err = base64.CorruptInputError(c.off + int64(cie))
	}
	if err != nil {
		c.err = err
		return
	}
	c.padded = c.pend[len(c.pend)-1] == '='
	c.off += int64(len(c.pend))
	c.pend = c.pend[:0]
	got := c.out[:n]
	if k := min(8-len(c.head), len(got)); k > 0 {
		c.head = append(c.head, got[:k]...)
		got = got[k:]
	}
	c.tail.Write(got)
}

// tailWriter keeps the last keep bytes written to it.
type tailWriter struct {
	keep int
	buf  []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	if len(w.buf) > 2*w.keep {
		w.buf = append(w.buf[:0], w.buf[len(w.buf)-w.keep:]...)
	}
	return len(p), nil
}
