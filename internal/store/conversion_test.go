package store

import (
	"context"
	"errors"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/google/go-cmp/cmp"
)

func testRecordConversion(t *testing.T, open opener) {
	ctx := context.Background()
	clk := newClock()
	s := open(t, Options{Now: clk.Now})
	d1, d2 := newDoc("urn:oid:1.2.3.4.1", "<ClinicalDocument/>"), newDoc("urn:oid:1.2.3.4.2", "%PDF-1.7")
	inputID, refs := converted(t, s, "raw message",
		NewDocument{Doc: d1, State: docbridge.Converted},
		NewDocument{Doc: d2, State: docbridge.Review, Reason: docbridge.UnmappedCode, Message: "local code X has no mapping"})
	wantRefs := []DocRef{{ID: refs[0].ID, State: docbridge.Converted},
		{ID: refs[1].ID, State: docbridge.Review, Reason: docbridge.UnmappedCode, Message: "local code X has no mapping"}}
	if diff := cmp.Diff(wantRefs, refs); diff != "" || refs[0].ID == refs[1].ID {
		t.Errorf("refs (-want +got):\n%s", diff)
	}
	if in, _ := s.Input(ctx, inputID); in.State != docbridge.Converted || in.Reason != "" {
		t.Errorf("input state = %s %q, want converted", in.State, in.Reason)
	}

	got := document(t, s, refs[1].ID)
	meta := *d2
	meta.Content = nil
	want := DocRow{ID: refs[1].ID, InputID: inputID, UniqueID: d2.UniqueID, SHA256: d2.SHA256,
		State: docbridge.Review, Reason: docbridge.UnmappedCode, Message: "local code X has no mapping",
		NextAttempt: clk.Now(), Intake: "drop", CreatedAt: clk.Now(), UpdatedAt: clk.Now(), Doc: &meta}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Document (-want +got):\n%s", diff)
	}
	if b, err := s.ReadContent(d2.SHA256); err != nil || string(b) != "%PDF-1.7" {
		t.Errorf("ReadContent = %q, %v; want the document's content", b, err)
	}
	h, _ := s.History(ctx, refs[1].ID)
	wantH := []Event{{DocID: refs[1].ID, At: clk.Now(), To: docbridge.Review, Reason: docbridge.UnmappedCode,
		Message: "local code X has no mapping", Actor: "convert"}}
	if diff := cmp.Diff(wantH, h); diff != "" {
		t.Errorf("History (-want +got):\n%s", diff)
	}
}

func testRecordConversionIdempotent(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, Options{})
	a := accept(t, s, []byte("raw"))
	docs := []NewDocument{
		{Doc: newDoc("urn:oid:1.1", "one"), State: docbridge.Converted},
		{Doc: newDoc("urn:oid:1.1", "one"), State: docbridge.Converted}, // twice in one input
		{Doc: newDoc("urn:oid:1.2", "two"), State: docbridge.Converted},
	}
	first, err := s.RecordConversion(ctx, a.ID, docs)
	if err != nil {
		t.Fatalf("RecordConversion: %v", err)
	}
	if !first[1].Existing || first[1].ID != first[0].ID || first[0].Existing || first[2].Existing {
		t.Errorf("refs = %+v, want the second one Existing with the first one's id", first)
	}
	transition(t, s, Transition{ID: first[2].ID, From: docbridge.Converted, To: docbridge.Matched, Actor: "match"})
	counts, _ := s.Counts(ctx)

	// Repeated (after a crash, say), even with other documents: the same answer.
	for _, again := range [][]NewDocument{docs, {{Doc: newDoc("urn:oid:9", "nine"), State: docbridge.Converted}}} {
		got, err := s.RecordConversion(ctx, a.ID, again)
		if err != nil {
			t.Fatalf("RecordConversion again: %v", err)
		}
		want := append([]DocRef(nil), first...)
		want[2].State = docbridge.Matched
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("RecordConversion again (-want +got):\n%s", diff)
		}
		if c, _ := s.Counts(ctx); !cmp.Equal(c, counts) {
			t.Errorf("Counts = %v, want %v", c, counts)
		}
		if h, _ := s.History(ctx, first[0].ID); len(h) != 1 {
			t.Errorf("History has %d events, want 1", len(h))
		}
	}
}

func testRecordConversionExisting(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, Options{})
	_, first := converted(t, s, "first sending", NewDocument{Doc: newDoc("urn:oid:7.1", "report v1"), State: docbridge.Converted})
	transition(t, s, Transition{ID: first[0].ID, From: docbridge.Converted, To: docbridge.Delivered, Actor: "deliver", MESID: "mes-1"})

	// The same document sent again in another message, plus another
	// version under the same id, not declared a replacement: a conflict.
	secondInput, refs := converted(t, s, "second sending",
		NewDocument{Doc: newDoc("urn:oid:7.1", "report v1"), State: docbridge.Converted},
		NewDocument{Doc: newDoc("urn:oid:7.1", "report v2"), State: docbridge.Converted})
	want := []DocRef{{ID: first[0].ID, Existing: true, State: docbridge.Delivered},
		{ID: refs[1].ID, State: docbridge.Review, Reason: docbridge.VersionConflict, Message: refs[1].Message}}
	if diff := cmp.Diff(want, refs); diff != "" {
		t.Errorf("refs (-want +got):\n%s", diff)
	}
	docs, _ := s.Documents(ctx, Filter{InputID: secondInput})
	if got, want := dueIDs(docs), []int64{first[0].ID, refs[1].ID}; !cmp.Equal(got, want) {
		t.Errorf("Documents of the second input = %v, want %v (the existing row too)", got, want)
	}
	if docs[0].InputID == secondInput {
		t.Errorf("existing row's InputID = %d, want the first input's", docs[0].InputID)
	}
}

func testRecordConversionInvalid(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, Options{})
	a := accept(t, s, []byte("raw"))
	badHash := newDoc("urn:oid:1", "content")
	badHash.SHA256 = hexSHA256([]byte("other"))
	badSize := newDoc("urn:oid:1", "content")
	badSize.Size++
	noID := newDoc("", "content")
	tests := []struct {
		name string
		nd   NewDocument
	}{
		{"wrong sha256", NewDocument{Doc: badHash, State: docbridge.Converted}},
		{"wrong size", NewDocument{Doc: badSize, State: docbridge.Converted}},
		{"no uniqueId", NewDocument{Doc: noID, State: docbridge.Converted}},
		{"no state", NewDocument{Doc: newDoc("urn:oid:1", "content")}},
		{"no document", NewDocument{State: docbridge.Converted}},
	}
	for _, tc := range tests {
		good := NewDocument{Doc: newDoc("urn:oid:2", "fine"), State: docbridge.Converted}
		if _, err := s.RecordConversion(ctx, a.ID, []NewDocument{good, tc.nd}); err == nil {
			t.Errorf("%s: RecordConversion: no error", tc.name)
		}
	}
	if in, _ := s.Input(ctx, a.ID); in.State != docbridge.Received {
		t.Errorf("input state = %s, want received", in.State)
	}
	if c, _ := s.Counts(ctx); len(c) != 0 {
		t.Errorf("Counts = %v, want no documents", c)
	}
}

func testRecordConversionInputState(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, Options{})
	failed := accept(t, s, []byte("failed"))
	if err := s.FailInput(ctx, failed.ID, docbridge.Malformed, "not XML"); err != nil {
		t.Fatal(err)
	}
	nd := []NewDocument{{Doc: newDoc("urn:oid:1", "c"), State: docbridge.Converted}}
	if _, err := s.RecordConversion(ctx, failed.ID, nd); !errors.Is(err, ErrConflict) {
		t.Errorf("RecordConversion(failed input) error = %v, want ErrConflict", err)
	}
	if _, err := s.RecordConversion(ctx, 999, nd); !errors.Is(err, ErrNotFound) {
		t.Errorf("RecordConversion(unknown input) error = %v, want ErrNotFound", err)
	}
	// No documents at all is a conversion too.
	empty := accept(t, s, []byte("empty"))
	if refs, err := s.RecordConversion(ctx, empty.ID, nil); err != nil || len(refs) != 0 {
		t.Errorf("RecordConversion(no docs) = %v, %v; want none, nil", refs, err)
	}
	if in, _ := s.Input(ctx, empty.ID); in.State != docbridge.Converted {
		t.Errorf("input state = %s, want converted", in.State)
	}
}
