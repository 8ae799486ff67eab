package pipeline

import (
	"errors"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
	"github.com/docbridge/docbridge/internal/store"
)

// TestReconvert: a document stopped for an unmapped code stays so when
// converted again with the same mappings (and says so); once the mapping
// is there, converting again supersedes it with a version that is
// delivered.
func TestReconvert(t *testing.T) {
	f := newFixture(t, nil)
	f.pair(t)
	acc := f.accept(t, "urn:oid:7.6;type=x")
	f.settle(t)
	stopped := f.doc(t, "urn:oid:7.6")
	wantState(t, stopped, docbridge.Review, docbridge.UnmappedCode)
	ctx := audit.WithActor(t.Context(), "user:op")

	res, err := f.p.Reconvert(ctx, acc.ID)
	if err != nil || !res.Unchanged {
		t.Fatalf("Reconvert with the same mappings = %+v, %v; want Unchanged", res, err)
	}

	// The mapping is added: the converter now gives the national code.
	f.p.o.Converter = ConverterFunc(func(raw []byte) (docbridge.Format, []*docbridge.Document, error) {
		format, docs, err := fakeConvert([]byte("urn:oid:7.6"))
		for _, d := range docs {
			d.Type = docbridge.Coding{System: "http://loinc.org", Code: "11502-2"}
		}
		return format, docs, err
	})
	res, err = f.p.Reconvert(ctx, acc.ID)
	if err != nil || res.Unchanged || len(res.Superseded) != 1 || res.Superseded[0] != stopped.ID {
		t.Fatalf("Reconvert after the mapping = %+v, %v; want the stopped document superseded", res, err)
	}
	f.settle(t)
	rows, _ := f.st.Documents(t.Context(), store.Filter{UniqueID: "urn:oid:7.6"})
	if len(rows) != 2 || rows[0].State != docbridge.Superseded || rows[1].State != docbridge.Delivered {
		t.Fatalf("versions = %+v, want the stopped one superseded and the new one delivered", rows)
	}
	if _, err := f.p.Reconvert(ctx, acc.ID); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Reconvert with nothing stopped = %v, want ErrConflict", err)
	}
}
