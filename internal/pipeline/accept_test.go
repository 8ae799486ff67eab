package pipeline

import (
	"io"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// flakyReader is a Converter whose first reads of the stored input
// fail, as a disk briefly failing would.
type flakyReader struct{ failures int }

func (f *flakyReader) Convert(r io.ReaderAt, size int64, _ docbridge.Origin) (docbridge.Format, []*docbridge.Document, error) {
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

// TestAcceptResendRefused: an input refused the first time — as a whole,
// or because every document failed — is refused again when it is sent
// again, with the same reason and message; an accepted one is accepted
// again.
func TestAcceptResendRefused(t *testing.T) {
	tests := []struct {
		name, body string
		state      docbridge.State
		reason     docbridge.Reason
	}{
		{"refused as a whole", "bad", docbridge.Failed, docbridge.Malformed},
		{"every document failed", "urn:oid:7.3;ins=123", docbridge.Failed, docbridge.INSInvalid},
		{"accepted, in review", "urn:oid:7.4;type=x", docbridge.Converted, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			first := f.accept(t, tc.body)
			if first.State != tc.state || first.Reason != tc.reason {
				t.Fatalf("first Accept = %+v, want %s %q", first, tc.state, tc.reason)
			}
			again := f.accept(t, tc.body)
			if !again.Duplicate || again.ID != first.ID || again.State != first.State ||
				again.Reason != first.Reason || again.Message != first.Message {
				t.Errorf("Accept again = %+v, want a duplicate of %+v with the same answer", again, first)
			}
		})
	}
}
