package messim

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// chunkReader returns its data in random small pieces.
type chunkReader struct {
	b   []byte
	rnd *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.b), 1+c.rnd.IntN(7))
	copy(p, c.b[:n])
	c.b = c.b[n:]
	return n, nil
}

func TestDataFilter(t *testing.T) {
	raw := make([]byte, 1000)
	for i := range raw {
		raw[i] = byte(i * 31)
	}
	b64 := base64.StdEncoding.EncodeToString(raw)
	in := `{"resourceType":"DocumentReference","title":"data \"x\" \\",` +
		`"content" : [ { "format":{"code":"data"}, "attachment" : { "data" : "` + b64 + `" , "size": 1000 } } ],` +
		`"extension":[{"content":[{"attachment":{"data":"kept"}}]}]}`
	want := `{"resourceType":"DocumentReference","title":"data \"x\" \\",` +
		`"content" : [ { "format":{"code":"data"}, "attachment" : { "data" : "" , "size": 1000 } } ],` +
		`"extension":[{"content":[{"attachment":{"data":"kept"}}]}]}`
	readers := map[string]func([]byte) io.Reader{
		"whole":    func(b []byte) io.Reader { return bytes.NewReader(b) },
		"one byte": func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"random":   func(b []byte) io.Reader { return &chunkReader{b: b, rnd: rand.New(rand.NewPCG(1, 2))} },
	}
	for name, mk := range readers {
		t.Run(name, func(t *testing.T) {
			var stored bytes.Buffer
			sink := newB64Sink(&stored)
			f := newDataFilter(mk([]byte(in)), sink, inlineDataPath)
			got, err := io.ReadAll(f)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want {
				t.Errorf("filtered =\n%s\nwant\n%s", got, want)
			}
			if err := sink.close(); err != nil {
				t.Fatal(err)
			}
			if f.diverts != 1 || !bytes.Equal(stored.Bytes(), raw) || sink.n != int64(len(raw)) {
				t.Errorf("diverts %d, stored %d bytes (n %d), want 1 and the raw %d bytes", f.diverts, stored.Len(), sink.n, len(raw))
			}
			if sum := sha1.Sum(raw); !bytes.Equal(sink.h.Sum(nil), sum[:]) {
				t.Error("SHA-1 differs")
			}
		})
	}
}

// TestDataFilterBundlePath: in a bundle, the Binary's data is diverted and
// data elsewhere (a DocumentReference's inline data, a nested resource) is
// left to the decoder.
func TestDataFilterBundlePath(t *testing.T) {
	in := `{"resourceType":"Bundle","entry":[` +
		`{"resource":{"resourceType":"DocumentReference","content":[{"attachment":{"data":"kept"}}]}},` +
		`{"resource":{"resourceType":"Binary","contentType":"text/plain","data":"YWJj"},"request":{"url":"Binary"}},` +
		`{"resource":{"contained":[{"data":"kept too"}]}}]}`
	want := strings.Replace(in, `"data":"YWJj"`, `"data":""`, 1)
	var stored bytes.Buffer
	sink := newB64Sink(&stored)
	f := newDataFilter(iotest.OneByteReader(strings.NewReader(in)), sink, binaryDataPath)
	got, err := io.ReadAll(f)
	if err != nil || sink.close() != nil {
		t.Fatal(err)
	}
	if string(got) != want || f.diverts != 1 || stored.String() != "abc" {
		t.Errorf("filtered %s, diverts %d, stored %q; want %s, 1, abc", got, f.diverts, stored.String(), want)
	}
}

func TestB64Sink(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"", "", true},
		{"YQ==", "a", true},
		{"YWI=", "ab", true},
		{"YWJj", "abc", true},
		{"YW\nJj\r\n ", "abc", true},
		{"YWJ", "", false},
		{"YQ==YQ==", "", false},
		{"Y===", "", false},
		{"YW*j", "", false},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		s := newB64Sink(&out)
		for i := range len(tt.in) { // one character at a time
			s.write([]byte{tt.in[i]})
		}
		err := s.close()
		if (err == nil) != tt.ok || tt.ok && out.String() != tt.want {
			t.Errorf("sink(%q) = %q, %v; want %q, ok %v", tt.in, out.String(), err, tt.want, tt.ok)
		}
	}
}
