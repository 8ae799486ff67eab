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
// It decodes in a stream and keeps only the first and last bytes.
func (b *builder) checkPayload(txt *etree.Element, mediaType string) {
	if !strings.EqualFold(attr(txt, "representation"), "B64") {
		return
	}
	var parts []io.Reader
	for _, t := range txt.Child {
		if c, ok := t.(*etree.CharData); ok {
			parts = append(parts, strings.NewReader(c.Data))
		}
	}
	dec := base64.NewDecoder(base64.StdEncoding, newlineFilter{io.MultiReader(parts...)})
	var head [8]byte
	n, _ := io.ReadFull(dec, head[:])
	tail := tailWriter{keep: 1024}
	if _, err := io.Copy(&tail, dec); err != nil {
		b.errorf(docbridge.Malformed, "component/nonXMLBody/text is not valid base64 (%s): the embedded document is corrupted or truncated", clip(err.Error()))
		return
	}
	if !strings.EqualFold(mediaType, "application/pdf") {
		return
	}
	all := append(head[:n:n], tail.buf...)
	if !bytes.HasPrefix(head[:n], []byte("%PDF-")) {
		b.errorf(docbridge.Malformed, "the embedded document is declared application/pdf but is not a PDF (no %%PDF- signature)")
	} else if !bytes.Contains(all[max(0, len(all)-1024):], []byte("%%EOF")) {
		b.errorf(docbridge.Malformed, "the embedded PDF has no %%%%EOF end marker: it is truncated")
	}
}

// newlineFilter drops the white space allowed inside base64 text.
type newlineFilter struct{ r io.Reader }

func (f newlineFilter) Read(p []byte) (int, error) {
	for {
		n, err := f.r.Read(p)
		j := 0
		for _, c := range p[:n] {
			if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
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
