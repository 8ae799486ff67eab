package pipeline

import (
	"io"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// flakyReader is an OriginConverter whose first reads of the stored input
// fail, as a disk briefly failing would.
type flakyReader struct{ failures int }

func (f *flakyReader) Convert(raw []byte) (docbridge.Format, []*docbridge.Document, error) {
	return fakeConvert(raw)
}

func (f *flakyReader) ConvertOrigin(r io.ReaderAt, size int64, _ docbridge.Origin) (docbridge.Format, []*docbridge.Document, error) {
	if f.failures > 0 {
		f.failures--
		return "", nil, docbridge.Errorf(docbridge.Internal, "read the stored input: I/O error")
	}
	raw, err := io.ReadAll(io.NewSectionReader(r, 0, size))
	if err != nil {
		return "", nil, docbridge.Wrap(docbridge.Internal, "read the stored input", err)
	}
	return fakeConvert(raw)
}

// TestAcceptDefersWhatItCannotConvert: an input whose conversion cannot be
// decided at once is accepted alone, received, and the convert stage takes
// it up.
func TestAcceptDefersWhatItCannotConvert(t *testing.T) {
	f := newFixture(t, nil)
	f.p.o.Converter = &flakyReader{failures: 1}
	f.pair(t)
	acc := f.accept(t, "urn:oid:7.1")
	if acc.State != docbridge.Received || acc.Reason != "" || acc.Duplicate {
		t.Fatalf("Accept = %+v, want a new input left received", acc)
	}
	docs, err := f.st.Documents(t.Context(), store.Filter{InputID: acc.ID})
	if err != nil || len(docs) != 0 {
		t.Fatalf("documents of the deferred input: %d, %v; want none yet", len(docs), err)
	}
	f.settle(t)
	wantState(t, f.doc(t, "urn:oid:7.1"), docbridge.Delivered, "")
}
