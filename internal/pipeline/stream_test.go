package pipeline

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
)

// streamConverter reads the uniqueId from the head of the stored input,
// hashes it in one pass and says its content is the input, as
// convert.Converter does for a CDA or a PDF; it counts its calls.
type streamConverter struct{ streamed int }

func (c *streamConverter) Convert(r io.ReaderAt, size int64, _ docbridge.Origin) (docbridge.Format, []*docbridge.Document, error) {
	c.streamed++
	h1, h256 := sha1.New(), sha256.New()
	if _, err := io.Copy(io.MultiWriter(h1, h256), io.NewSectionReader(r, 0, size)); err != nil {
		return "", nil, docbridge.Wrap(docbridge.Internal, "read", err)
	}
	head := make([]byte, 64)
	n, _ := r.ReadAt(head, 0)
	id, _, _ := strings.Cut(string(head[:n]), ";")
	d := &docbridge.Document{UniqueID: id, Action: docbridge.Create, Patient: patient, ContentIsInput: true,
		Size: size, SHA1: hex.EncodeToString(h1.Sum(nil)), SHA256: hex.EncodeToString(h256.Sum(nil))}
	return docbridge.FormatCDA, []*docbridge.Document{d}, nil
}

// TestBigInputsAreStreamed: an input whose document is its content
// (ContentIsInput) is recorded without a second copy and is delivered from
// the stored input, big or small.
func TestBigInputsAreStreamed(t *testing.T) {
	f := newFixture(t, nil)
	conv := &streamConverter{}
	f.p.o.Converter = conv
	f.pair(t)
	big := "urn:oid:1.2.9.1;" + strings.Repeat("x", 1<<20)
	f.accept(t, big)
	f.accept(t, "urn:oid:1.2.9.2")
	f.settle(t)
	if conv.streamed != 2 {
		t.Errorf("Convert called %d times, want 2", conv.streamed)
	}
	wantState(t, f.doc(t, "urn:oid:1.2.9.1"), docbridge.Delivered, "")
	wantState(t, f.doc(t, "urn:oid:1.2.9.2"), docbridge.Delivered, "")
	rc, err := f.st.OpenContent(f.doc(t, "urn:oid:1.2.9.1").SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); !bytes.Equal(b, []byte(big)) {
		t.Errorf("the big document's stored content is not its input")
	}
}
