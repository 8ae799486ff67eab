package hl7v2

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/hl7"
)

// decode returns the bytes of a document OBX's OBX-5.5, checking the
// declared encoding (OBX-5.4) and that the bytes are what OBX-5.2/5.3
// declare. Placeholders and truncated payloads are Malformed.
func decode(d docOBX, act docbridge.Action) ([]byte, error) {
	v := d.seg.Field(5)
	if enc := v.Comp(4).Text(); !strings.EqualFold(enc, "Base64") {
		return nil, errorAt(docbridge.UnsupportedFormat, d.at(5, 4),
			"the encoding %q is not supported: docbridge reads documents in Base64", clip(enc, 16))
	}
	data := v.Comp(5)
	if data.IsEmpty() {
		return nil, errorAt(docbridge.Malformed, d.at(5, 5), "the document data is empty")
	}
	raw, err := base64Decode(data)
	if err != nil {
		return nil, errorAt(docbridge.Malformed, d.at(5, 5), "the document data is not valid base64 (%v)", err)
	}
	switch d.kind {
	case kindCDA:
		if !looksLikeCDA(raw) {
			hint := ""
			if act == docbridge.Delete {
				hint = "; a deletion must carry the CDA of the document to delete, whose id it names"
			}
			return nil, errorAt(docbridge.Malformed, d.at(5, 5), "base64 decodes to %s, not a CDA document (ClinicalDocument)%s", describe(raw), hint)
		}
	case kindPDF:
		if !bytes.HasPrefix(raw, []byte("%PDF-")) {
			return nil, errorAt(docbridge.Malformed, d.at(5, 5), "base64 decodes to %s, not a PDF", describe(raw))
		}
	}
	return raw, nil
}

// base64Decode decodes standard base64 in one pass over the raw value; only
// when that fails does it resolve escapes, drop white space and accept
// missing padding.
func base64Decode(v hl7.Value) ([]byte, error) {
	src := v.Raw()
	dst := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
	n, err := base64.StdEncoding.Decode(dst, src)
	if err == nil {
		return dst[:n], nil
	}
	src = bytes.Join(bytes.Fields(v.Bytes()), nil)
	src = bytes.TrimRight(src, "=")
	dst = make([]byte, base64.RawStdEncoding.DecodedLen(len(src)))
	n, err2 := base64.RawStdEncoding.Decode(dst, src)
	if err2 != nil {
		return nil, err
	}
	return dst[:n], nil
}

// looksLikeCDA reports whether b is XML naming a ClinicalDocument early on.
// The CDA converter then checks it properly.
func looksLikeCDA(b []byte) bool {
	t := bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF")), " \t\r\n")
	if len(t) == 0 || t[0] != '<' {
		return false
	}
	return bytes.Contains(t[:min(len(t), 64<<10)], []byte("ClinicalDocument"))
}

// describe says what a payload that is not what it claims is, without
// quoting it.
func describe(b []byte) string {
	t := bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF")), " \t\r\n")
	var what string
	switch {
	case len(b) == 0:
		return "nothing"
	case bytes.HasPrefix(t, []byte("%PDF-")):
		what = "a PDF"
	case bytes.HasPrefix(t, []byte("<?xml")) && bytes.IndexByte(t[1:], '<') < 0:
		what = "a truncated XML prolog"
	case len(t) > 0 && t[0] == '<':
		what = "XML whose root is not a CDA ClinicalDocument"
	case utf8.Valid(b) && printable(b):
		what = "text"
	default:
		what = "binary data"
	}
	return fmt.Sprintf("%d bytes of %s", len(b), what)
}

func printable(b []byte) bool {
	for _, r := range string(b) {
		if r < ' ' && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
	}
	return true
}
