package store

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/docbridge/docbridge"
)

// fixedConversion converts every input into docs, or refuses it.
func fixedConversion(docs []NewDocument, refusal error) func(Input) (Conversion, error) {
	return func(Input) (Conversion, error) { return Conversion{Docs: docs, Refusal: refusal}, nil }
}

func journalEnvelope(body []byte) *docbridge.Envelope {
	return &docbridge.Envelope{Intake: "mllp", Source: "10.0.0.1:4000", MessageID: "MSG1", Body: bytes.NewReader(body), Journal: true}
}

// docPerInput converts each input into one document, its id made of the
// input's hash.
func docPerInput(in Input) (Conversion, error) {
	id := "doc-" + in.SHA256[:12]
	return Conversion{Docs: []NewDocument{{Doc: newDoc(id, "content of "+id), State: docbridge.Converted}}}, nil
}

// applyFirst is AcceptJournaled's recordFirst for tests: it records the
// whole journal with convert, and counts its calls in *calls.
func applyFirst(s *Store, convert func(Input) (Conversion, error), calls *int) func(context.Context) error {
	return func(ctx context.Context) error {
		*calls++
		_, err := s.ApplyJournal(ctx, 1000, convert)
		return err
	}
}

// journalAll accepts each of bodies with AcceptJournaled and returns their
// journal entries, failing the test unless each became one.
func journalAll(t *testing.T, s *Store, convert func(Input) (Conversion, error), bodies ...[]byte) []int64 {
	t.Helper()
	var entries []int64
	for _, body := range bodies {
		var calls int
		c, err := s.AcceptJournaled(context.Background(), journalEnvelope(body), convert, applyFirst(s, convert, &calls))
		if err != nil || c.Journal == 0 {
			t.Fatalf("AcceptJournaled(%.20q) = %+v, %v; want a journal entry", body, c, err)
		}
		entries = append(entries, c.Journal)
	}
	return entries
}

// wantJournalRecorded fails the test unless the journal is empty and the
// audit chain intact.
func wantJournalRecorded(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	if n, err := s.JournalBacklog(ctx); err != nil || n != 0 {
		t.Errorf("JournalBacklog = %d, %v; want 0", n, err)
	}
	if r, err := s.VerifyAudit(ctx, nil); err != nil || r.Records == 0 {
		t.Errorf("VerifyAudit = %+v, %v; want an intact chain", r, err)
	}
}

// TestAcceptJournaledChooses checks which inputs AcceptJournaled answers
// from one journal row: only a new, small input whose conversion refuses
// nothing and names no document the store holds; every other one is
// recorded at once, as AcceptConverted records it, after the journal's
// entries (recordFirst).
func TestAcceptJournaledChooses(t *testing.T) {
	ctx := context.Background()
	fine := func(id string) []NewDocument {
		return []NewDocument{{Doc: newDoc(id, "content of "+id), State: docbridge.Converted}}
	}
	review := []NewDocument{{Doc: newDoc("doc-review", "x"), State: docbridge.Review, Reason: docbridge.IdentityUnqualified, Message: "m"}}
	failed := append(fine("doc-ok"), NewDocument{Doc: newDoc("doc-bad", "y"), State: docbridge.Failed,
		Reason: docbridge.INSInvalid, Message: "the INS key is wrong"})
	tests := []struct {
		name        string
		body        []byte
		convert     func(Input) (Conversion, error)
		wantJournal bool
		wantState   docbridge.State
	}{
		{"new and converted", []byte("message 1"), fixedConversion(fine("doc-1"), nil), true, docbridge.Converted},
		{"a document in review", []byte("message 2"), fixedConversion(review, nil), true, docbridge.Converted},
		{"refused as a whole", []byte("message 3"),
			fixedConversion(nil, docbridge.Errorf(docbridge.UnsupportedFormat, "not HL7")), false, docbridge.Failed},
		{"one document refused", []byte("message 4"), fixedConversion(failed, nil), false, docbridge.Converted},
		{"no document", []byte("message 5"), fixedConversion(nil, nil), false, docbridge.Converted},
		{"its document id is stored", []byte("message 6"), fixedConversion(fine("doc-held"), nil), false, docbridge.Converted},
		{"the same bytes are stored", []byte("input of doc-held"), fixedConversion(fine("doc-7"), nil), false, docbridge.Converted},
		{"the converter cannot read it", []byte("message 8"),
			func(Input) (Conversion, error) { return Conversion{}, errors.New("read") }, false, docbridge.Received},
		{"over InlineMax", bytes.Repeat([]byte("z"), InlineMax+1), fixedConversion(fine("doc-9"), nil), false, docbridge.Converted},
	}
	forEachEngine(t, func(t *testing.T, e testEngine) {
		s := e.open(t, Options{})
		oneDoc(t, s, "doc-held")
		journaled := 0
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var calls int
				c, err := s.AcceptJournaled(ctx, journalEnvelope(tt.body), tt.convert, applyFirst(s, docPerInput, &calls))
				if err != nil {
					t.Fatalf("AcceptJournaled: %v", err)
				}
				want := tt.wantJournal && s.Journals()
				if got := c.Journal != 0; got != want {
					t.Fatalf("journaled = %v (entry %d, input %d), want %v", got, c.Journal, c.ID, want)
				}
				if wantFirst := !want && s.Journals(); (calls == 1) != wantFirst || calls > 1 {
					t.Errorf("recordFirst called %d times, want once when the input is recorded at once on a store that journals", calls)
				}
				journaled++
				if !want {
					journaled = 0 // the entries before it were recorded first
				}
				if n, err := s.JournalBacklog(ctx); err != nil || n != journaled {
					t.Errorf("JournalBacklog = %d, %v; want %d", n, err, journaled)
				}
				if want {
					if c.ID != 0 || c.State != docbridge.Converted || c.SHA256 != hexSHA256(tt.body) {
						t.Errorf("journaled: %+v, want no input id, state converted and the body's hash", c.Accepted)
					}
					if _, err := s.InputBySHA256(ctx, c.SHA256); !errors.Is(err, ErrNotFound) {
						t.Errorf("InputBySHA256 of a journaled input = %v, want ErrNotFound: not recorded yet", err)
					}
					return
				}
				if c.ID == 0 || c.State != tt.wantState {
					t.Errorf("recorded: input %d in %s, want an input in %s", c.ID, c.State, tt.wantState)
				}
			})
		}
	})
}

// TestAcceptJournaledRecordsInOrder: an input recorded at once (here over
// InlineMax: a content file) comes after the entries acknowledged before
// it, which recordFirst records first.
func TestAcceptJournaledRecordsInOrder(t *testing.T) {
	ctx := context.Background()
	s := openSQLiteTest(t, Options{})
	journalAll(t, s, docPerInput, []byte("the original"))
	var calls int
	big, err := s.AcceptJournaled(ctx, journalEnvelope(bytes.Repeat([]byte("r"), InlineMax+1)), docPerInput, applyFirst(s, docPerInput, &calls))
	if err != nil || big.ID == 0 {
		t.Fatalf("AcceptJournaled over InlineMax = %+v, %v; want an input", big, err)
	}
	first, err := s.InputBySHA256(ctx, hexSHA256([]byte("the original")))
	if err != nil {
		t.Fatalf("the journaled input: %v; want it recorded before the one recorded at once", err)
	}
	if first.ID >= big.ID {
		t.Errorf("the journaled input is input %d, the later one %d: recorded out of order", first.ID, big.ID)
	}
	wantJournalRecorded(t, s)
}

// TestApplyJournal journals inputs, among them the same bytes twice and one
// the converter cannot read, and checks that ApplyJournal records them as
// AcceptConverted would have, in the order they came, each once, with an
// intact audit chain; and that an entry outlives the process that wrote it.
func TestApplyJournal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, Options{Dir: dir})
	readable := true
	convert := func(in Input) (Conversion, error) {
		b, err := s.ReadContent(in.SHA256)
		if err != nil {
			return Conversion{}, err
		}
		if !readable && string(b) == "message c" {
			return Conversion{}, errors.New("cannot read")
		}
		return docPerInput(in)
	}
	entries := journalAll(t, s, convert, []byte("message a"), []byte("message b"), []byte("message a"), []byte("message c"))
	// A restart: the entries are durable, not in memory.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, Options{Dir: dir})
	if n, err := s.JournalBacklog(ctx); err != nil || n != 4 {
		t.Fatalf("JournalBacklog after reopening = %d, %v; want 4", n, err)
	}

	readable = false
	applied, err := s.ApplyJournal(ctx, 3, convert)
	if err != nil {
		t.Fatalf("ApplyJournal: %v", err)
	}
	if len(applied) != 3 {
		t.Fatalf("ApplyJournal(3) applied %d entries, want the 3 oldest", len(applied))
	}
	for i, a := range applied {
		if a.Entry != entries[i] || a.Err != nil || a.Intake != "mllp" {
			t.Errorf("applied[%d] = entry %d (%s), %v; want entry %d of mllp, no error", i, a.Entry, a.Intake, a.Err, entries[i])
		}
	}
	if a, b := applied[0], applied[1]; a.ID == 0 || b.ID <= a.ID || a.State != docbridge.Converted || len(a.Docs) != 1 {
		t.Errorf("first two: inputs %d and %d, %s with %d docs; want two inputs in order, converted, one document each", a.ID, b.ID, a.State, len(a.Docs))
	}
	if dup := applied[2]; !dup.Duplicate || dup.ID != applied[0].ID {
		t.Errorf("the same bytes again: %+v, want a duplicate of input %d", dup.Accepted, applied[0].ID)
	}
	in, err := s.Input(ctx, applied[0].ID)
	if err != nil || in.Intake != "mllp" || in.Source != "10.0.0.1:4000" || in.MessageID != "MSG1" {
		t.Errorf("Input = %+v, %v; want the envelope's intake, source and message id", in, err)
	}

	last, err := s.ApplyJournal(ctx, 10, convert)
	if err != nil || len(last) != 1 || last[0].State != docbridge.Received || last[0].Deferred == nil {
		t.Fatalf("ApplyJournal of an unreadable entry = %+v, %v; want its input recorded in received, deferred", last, err)
	}
	if none, err := s.ApplyJournal(ctx, 10, convert); err != nil || none != nil {
		t.Errorf("ApplyJournal of an empty journal = %v, %v; want nothing", none, err)
	}
	wantJournalRecorded(t, s)
}

// TestApplyJournalOneFails: when one entry's documents cannot be recorded,
// the others are recorded all the same and that one's input is left in
// received for the convert stage, as AcceptConverted leaves it.
func TestApplyJournalOneFails(t *testing.T) {
	ctx := context.Background()
	s := openSQLiteTest(t, Options{})
	convert := func(in Input) (Conversion, error) {
		b, err := s.ReadContent(in.SHA256)
		if err != nil {
			return Conversion{}, err
		}
		id := "doc-" + string(b)
		return Conversion{Docs: []NewDocument{{Doc: newDoc(id, "content of "+id), State: docbridge.Converted}}}, nil
	}
	journalAll(t, s, convert, []byte("a"), []byte("b"), []byte("c"))
	if _, err := s.w.Exec(`CREATE TRIGGER refuse_b BEFORE INSERT ON documents WHEN NEW.unique_id = 'doc-b'
	BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`); err != nil {
		t.Fatal(err)
	}
	applied, err := s.ApplyJournal(ctx, 10, convert)
	if err != nil || len(applied) != 3 {
		t.Fatalf("ApplyJournal = %d entries, %v; want 3", len(applied), err)
	}
	for i, want := range []docbridge.State{docbridge.Converted, docbridge.Received, docbridge.Converted} {
		a := applied[i]
		if a.Err != nil || a.ID == 0 || a.State != want || (want == docbridge.Received) != (a.Deferred != nil) {
			t.Errorf("entry %d: input %d in %s (deferred %v), %v; want an input in %s", i, a.ID, a.State, a.Deferred, a.Err, want)
		}
	}
	wantJournalRecorded(t, s)
}

// TestApplyJournalBoundsBytes: one ApplyJournal takes fewer entries when
// they are big (applyMaxBytes), and the next takes the rest.
func TestApplyJournalBoundsBytes(t *testing.T) {
	ctx := context.Background()
	s := openSQLiteTest(t, Options{})
	const n, size = 40, 60 << 10
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = bytes.Repeat([]byte{byte('a' + i%26), byte(i)}, size/2)
	}
	journalAll(t, s, docPerInput, bodies...)
	first, err := s.ApplyJournal(ctx, 128, docPerInput)
	if err != nil || len(first) == 0 || len(first) >= n || len(first) > applyMaxBytes/size+1 {
		t.Fatalf("ApplyJournal of %d entries of %d bytes took %d, %v; want at most %d", n, size, len(first), err, applyMaxBytes/size+1)
	}
	rest, err := s.ApplyJournal(ctx, 128, docPerInput)
	if err != nil || len(first)+len(rest) != n {
		t.Errorf("the next ApplyJournal took %d, %v; want the other %d", len(rest), err, n-len(first))
	}
}

// TestApplyJournalAfterLowerLimit: an entry acknowledged under one size
// limit is recorded after a restart with a lower one (it was accepted;
// refusing it now would leave it in the journal for ever).
func TestApplyJournalAfterLowerLimit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, Options{Dir: dir})
	journalAll(t, s, docPerInput, bytes.Repeat([]byte("x"), 4000))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, Options{Dir: dir, MaxInputSize: 1000})
	applied, err := s.ApplyJournal(ctx, 10, docPerInput)
	if err != nil || len(applied) != 1 || applied[0].Err != nil || applied[0].ID == 0 || applied[0].State != docbridge.Converted {
		t.Fatalf("ApplyJournal under a lower limit = %+v, %v; want the entry recorded", applied, err)
	}
	var calls int
	if _, err := s.AcceptJournaled(ctx, journalEnvelope(bytes.Repeat([]byte("y"), 4000)), docPerInput, applyFirst(s, docPerInput, &calls)); docbridge.ReasonOf(err) != docbridge.TooLarge {
		t.Errorf("a new input over the lower limit: %v, want too-large", err)
	}
}
