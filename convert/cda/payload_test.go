package cda

import (
	"bytes"
	"encoding/base64"
	"os"
	"regexp"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/golden"
)

// TestLevelOnePayload: the embedded content of a level-1 document must
// decode, and a PDF must be whole.
func TestLevelOnePayload(t *testing.T) {
	raw, err := os.ReadFile("../../samples/cr-bio-n1-pdf.xml")
	if err != nil {
		t.Fatal(err)
	}
	body := regexp.MustCompile(`(?s)(<text[^>]*representation="B64"[^>]*>)(.*?)(</text>)`)
	m := body.FindSubmatchIndex(raw)
	if m == nil {
		t.Fatal("no B64 text in the sample")
	}
	b64 := bytes.Join(bytes.Fields(raw[m[4]:m[5]]), nil)
	pdf, err := base64.StdEncoding.DecodeString(string(b64))
	if err != nil {
		t.Fatal(err)
	}
	with := func(payload []byte) []byte {
		return append(append(append([]byte{}, raw[:m[4]]...), payload...), raw[m[5]:]...)
	}
	enc := func(b []byte) []byte { return []byte(base64.StdEncoding.EncodeToString(b)) }
	tests := []struct {
		name string
		doc  []byte
		want docbridge.Reason // "" means no error problem
	}{
		{"intact", raw, ""},
		{"wrapped at 76 columns", with(wrap(enc(pdf), 76)), ""},
		{"base64 cut in the middle", with(b64[:len(b64)/2+1]), docbridge.Malformed},
		{"not base64", with([]byte("this is not base64 !!!")), docbridge.Malformed},
		{"PDF truncated on a base64 boundary", with(enc(pdf[:len(pdf)/2/3*3])), docbridge.Malformed},
		{"declared PDF, is text", with(enc([]byte("Bonjour, voici votre compte rendu."))), docbridge.Malformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := Convert(tt.doc, golden.Mappings(t), nil)
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			var got docbridge.Reason
			if p := docs[0].FirstError(); p != nil {
				got = p.Code
			}
			if got != tt.want {
				t.Errorf("first error = %q (%v), want %q", got, docs[0].Problems, tt.want)
			}
		})
	}
}

func wrap(b []byte, n int) []byte {
	var out []byte
	for len(b) > n {
		out = append(append(out, b[:n]...), '\n')
		b = b[n:]
	}
	return append(out, b...)
}
