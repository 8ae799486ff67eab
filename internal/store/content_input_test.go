package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/docbridge/docbridge"
)

// TestRecordConversionContentIsInput: a document whose content is the input
// is recorded without a second copy (no content file written, none read),
// under the input's SHA-256; one claiming another hash or size is refused.
func TestRecordConversionContentIsInput(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := context.Background()
		s := e.open(t, Options{})
		raw := "<ClinicalDocument/> the whole input"
		a := accept(t, s, []byte(raw))
		d := newDoc("urn:oid:1.2.3.9", raw)
		d.Content, d.ContentIsInput = nil, true
		if d.SHA256 != a.SHA256 {
			t.Fatalf("test setup: the document's SHA-256 is not the input's")
		}
		tmp := filepath.Join(s.dir, tmpDir)
		before, _ := os.ReadDir(tmp)
		refs, err := s.RecordConversion(ctx, a.ID, []NewDocument{{Doc: d, State: docbridge.Converted}})
		if err != nil {
			t.Fatalf("RecordConversion: %v", err)
		}
		if after, _ := os.ReadDir(tmp); len(after) != len(before) {
			t.Errorf("RecordConversion wrote temp files: %d before, %d after", len(before), len(after))
		}
		if got := document(t, s, refs[0].ID); got.SHA256 != a.SHA256 {
			t.Errorf("document SHA256 = %s, want the input's %s", got.SHA256, a.SHA256)
		}
		if b, err := s.ReadContent(a.SHA256); err != nil || string(b) != raw {
			t.Errorf("ReadContent = %q, %v; want the input", b, err)
		}

		other := accept(t, s, []byte("another input"))
		bad := newDoc("urn:oid:1.2.3.10", raw) // the first input's hash, not this one's
		bad.Content, bad.ContentIsInput = nil, true
		if _, err := s.RecordConversion(ctx, other.ID, []NewDocument{{Doc: bad, State: docbridge.Converted}}); err == nil {
			t.Errorf("RecordConversion accepted a document claiming to be its input with another hash")
		}
	})
}
