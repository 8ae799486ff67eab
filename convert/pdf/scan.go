package pdf

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"

	"github.com/docbridge/docbridge"
)

// Window is how far from its start a PDF's %PDF- header, and from its end
// its %%EOF marker, may be: PDF readers tolerate up to 1024 bytes of junk
// around them.
const Window = 1024

// chunk is the read size of the streaming scan: the only buffer it holds.
const chunk = 64 << 10

// pdfaMarker is the XMP property that declares PDF/A conformance. PDF/A
// forbids compressing the document's XMP metadata stream, so a byte scan
// finds it.
var pdfaMarker = []byte("pdfaid:part")

// scanned is what one pass over a PDF found.
type scanned struct {
	size         int64
	sha1, sha256 string
	pdfa         string // the PDF/A part ("1", "2", "3", "4"), or ""
}

// scan reads the PDF once, in chunks, and checks what a light check can:
// the %PDF- header near the start, the %%EOF marker near the end (else the
// file is truncated), and the PDF/A declaration. It returns Malformed for
// the first two, Internal when r cannot be read. Memory use does not grow
// with the size.
func scan(r io.ReaderAt, size int64) (scanned, error) {
	h1, h256 := sha1.New(), sha256.New()
	buf := make([]byte, chunk)
	var tail [Window]byte
	tailLen := 0
	var head []byte // the first Window bytes
	// carry holds the end of the previous chunk, so that a marker cut in
	// two by a chunk boundary is still found.
	var carry [len("pdfaid:part") + 8]byte
	var joined [len(carry) + 64]byte
	carryLen := 0
	pdfa := ""
	sr := io.NewSectionReader(r, 0, size)
	var n int64
	for {
		k, err := io.ReadFull(sr, buf)
		if k > 0 {
			b := buf[:k]
			h1.Write(b)
			h256.Write(b)
			if head == nil {
				head = append([]byte(nil), b[:min(k, Window)]...)
			}
			if pdfa == "" {
				pdfa = findPDFA(joined[:0], carry[:carryLen], b)
				carryLen = copy(carry[:], b[max(0, k-len(carry)):])
			}
			if k >= Window {
				tailLen = copy(tail[:], b[k-Window:])
			} else {
				keep := min(tailLen, Window-k)
				copy(tail[:], tail[tailLen-keep:tailLen])
				copy(tail[keep:], b)
				tailLen = keep + k
			}
			n += int64(k)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return scanned{}, docbridge.Wrap(docbridge.Internal, "read the stored input", err)
		}
	}
	if n != size {
		return scanned{}, docbridge.Errorf(docbridge.Internal, "the stored input has %d bytes, not the %d expected", n, size)
	}
	if !bytes.Contains(head, []byte("%PDF-")) {
		return scanned{}, docbridge.Errorf(docbridge.Malformed,
			"the file has no %%PDF- header in its first %d bytes: it is not a PDF", Window)
	}
	if !bytes.Contains(tail[:tailLen], []byte("%%EOF")) {
		return scanned{}, docbridge.Errorf(docbridge.Malformed,
			"the PDF has no %%%%EOF marker in its last %d bytes: it looks truncated (was it copied before it was complete?)", Window)
	}
	return scanned{
		size: n, pdfa: pdfa,
		sha1: hex.EncodeToString(h1.Sum(nil)), sha256: hex.EncodeToString(h256.Sum(nil)),
	}, nil
}

// findPDFA looks for the PDF/A part in prev+b (prev: the end of the
// previous chunk, joined in buf, whose capacity is enough for prev and 64
// bytes) and returns it, or "". It reads both XMP spellings,
// pdfaid:part="1" and <pdfaid:part>1</pdfaid:part>.
func findPDFA(buf, prev, b []byte) string {
	if len(prev) > 0 {
		joined := append(append(buf, prev...), b[:min(len(b), cap(buf)-len(prev))]...)
		if v := pdfaPart(joined); v != "" {
			return v
		}
	}
	return pdfaPart(b)
}

// pdfaPart returns the part number following the first pdfaMarker of b
// whose value is complete in b.
func pdfaPart(b []byte) string {
	for {
		i := bytes.Index(b, pdfaMarker)
		if i < 0 {
			return ""
		}
		b = b[i+len(pdfaMarker):]
		v := bytes.TrimLeft(b[:min(len(b), 8)], " \t\r\n=\"'>")
		if len(v) > 0 && v[0] >= '1' && v[0] <= '4' {
			return string(v[:1])
		}
	}
}
