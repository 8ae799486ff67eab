package pipeline

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// patientB is another test patient, with a valid test INS.
var patientB = docbridge.Patient{
	INS: "192036912304577", INSSystem: "urn:oid:1.2.250.1.213.1.4.10",
	BirthName: "AUTRE-TEST", FirstNames: []string{"PAUL"},
	BirthDate: "1992-03-06", Sex: "M", BirthPlace: "69123",
}

// versionConvert is fakeConvert with two more keys: "patient=b" files the
// document under patientB, "mesref=ID" makes it a replacement naming its
// original by MES id only.
func versionConvert(raw []byte) (docbridge.Format, []*docbridge.Document, error) {
	f, docs, err := fakeConvert(raw)
	if err != nil {
		return f, docs, err
	}
	for _, part := range strings.Split(string(raw), ";")[1:] {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "patient":
			docs[0].Patient = patientB
		case "mesref":
			docs[0].Action, docs[0].Replaces, docs[0].ReplacesServerID = docbridge.Replace, "", v
		}
	}
	return f, docs, nil
}

// wire records what reached the sender, in order: "action uniqueId[>replaces]".
type wire struct {
	next Sender
	mu   sync.Mutex
	log  []string
}

func (w *wire) Deliver(ctx context.Context, d *docbridge.Document, content io.Reader, p docbridge.Pairing) (docbridge.Receipt, error) {
	s := string(d.Action) + " " + d.UniqueID
	if d.Replaces != "" {
		s += ">" + d.Replaces
	}
	w.mu.Lock()
	w.log = append(w.log, s)
	w.mu.Unlock()
	return w.next.Deliver(ctx, d, content, p)
}

func (w *wire) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.log, ", ")
}

func newVersionFixture(t *testing.T, script map[string][]error) (*fixture, *wire) {
	t.Helper()
	f := newFixture(t, script)
	w := &wire{next: f.sender}
	f.p.o.Converter, f.p.o.Sender = ConverterFunc(versionConvert), w
	return f, w
}

func (f *fixture) pairB(t *testing.T) {
	t.Helper()
	if err := f.st.PutPairing(context.Background(), docbridge.Pairing{ID: "p2", MESPatient: "m2", Patient: patientB, AccessToken: "tok2", CreatedAt: f.now}); err != nil {
		t.Fatal(err)
	}
}

// version returns the row of uniqueId whose action is act.
func (f *fixture) version(t *testing.T, uniqueID string, act docbridge.Action) store.DocRow {
	t.Helper()
	rows, err := f.st.Documents(context.Background(), store.Filter{UniqueID: uniqueID})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Doc.Action == act {
			return r
		}
	}
	t.Fatalf("no %s version of %s among %d", act, uniqueID, len(rows))
	return store.DocRow{}
}

// TestReplacementSettlesItsOriginal: a replacement of a version whose
// delivery is unknown (its answer was lost) is sent as a replacement once
// that version is settled, never as a creation beside it; only a version
// MES certainly never got is superseded here.
func TestReplacementSettlesItsOriginal(t *testing.T) {
	lost := &docbridge.Error{Reason: docbridge.MESUnavailable, Msg: "connection reset after the request was sent", RetryAfter: time.Hour}
	tests := []struct {
		name    string
		script  []error       // the original's answers
		wait    time.Duration // between the original's first attempt and the replacement
		wire    string
		v1      docbridge.State
		v1sends int
	}{
		// The original's retry is due when the replacement comes: it is
		// retried first, MES says "already there", then the replacement
		// goes naming it.
		{"due original retried first", []error{lost, errDuplicate}, 2 * time.Hour,
			"create urn:oid:20.1, create urn:oid:20.1, replace urn:oid:20.2>urn:oid:20.1", docbridge.Superseded, 2},
		// The original is not due yet: the replacement waits for its retry.
		{"replacement waits for the retry", []error{lost, errDuplicate}, time.Minute,
			"create urn:oid:20.1, create urn:oid:20.1, replace urn:oid:20.2>urn:oid:20.1", docbridge.Superseded, 2},
		// MES refused the original (a definite 4xx): it never reached MES,
		// so it is superseded here and the replacement goes as a creation.
		{"refused original superseded here", []error{docbridge.Errorf(docbridge.MESRejected, "422")}, time.Minute,
			"create urn:oid:20.1, create urn:oid:20.2", docbridge.Superseded, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, w := newVersionFixture(t, map[string][]error{"urn:oid:20.1": tt.script})
			f.pair(t)
			f.accept(t, "urn:oid:20.1")
			f.settle(t)
			f.now = f.now.Add(tt.wait)
			f.accept(t, "urn:oid:20.2;replaces=urn:oid:20.1")
			f.settle(t)
			if tt.wait < time.Hour && tt.v1sends == 2 {
				if got := f.doc(t, "urn:oid:20.2"); got.Attempts != 0 || f.sender.sent["urn:oid:20.2"] != 0 {
					t.Errorf("the replacement was sent before its original was settled (%s)", w)
				}
				f.now = f.now.Add(2 * time.Hour)
				f.settle(t)
			}
			if got := w.String(); got != tt.wire {
				t.Errorf("requests = %s\nwant       %s", got, tt.wire)
			}
			wantState(t, f.doc(t, "urn:oid:20.2"), docbridge.Delivered, "")
			if got := f.doc(t, "urn:oid:20.1"); got.State != tt.v1 {
				t.Errorf("original is %s (%s), want %s", got.State, got.Message, tt.v1)
			}
			if got := f.sender.sent["urn:oid:20.1"]; got != tt.v1sends {
				t.Errorf("original sent %d times, want %d", got, tt.v1sends)
			}
		})
	}
}

// TestReplacementWaitsForAClaimedOriginal: with leases, an original another
// instance has claimed may be on its way to MES: the replacement neither
// supersedes it nor overtakes it.
func TestReplacementWaitsForAClaimedOriginal(t *testing.T) {
	f, w := newVersionFixture(t, nil)
	f.p.o.Lease = time.Minute
	f.pair(t)
	ctx := context.Background()
	f.accept(t, "urn:oid:21.1")
	f.p.matchDue(ctx)
	claimed, err := f.st.Claim(ctx, docbridge.Matched, f.now, time.Minute, 0) // another instance
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim the original: %d rows, %v", len(claimed), err)
	}
	f.accept(t, "urn:oid:21.2;replaces=urn:oid:21.1")
	f.p.matchDue(ctx)
	if err := f.p.deliverAt(ctx, f.doc(t, "urn:oid:21.2"), 0); err != nil {
		t.Fatal(err)
	}
	r := f.doc(t, "urn:oid:21.2")
	wantState(t, r, docbridge.Matched, "")
	if !r.NextAttempt.Equal(claimed[0].NextAttempt) || w.String() != "" {
		t.Errorf("replacement next attempt %v, requests %q; want it rescheduled to the claim's end %v, nothing sent", r.NextAttempt, w, claimed[0].NextAttempt)
	}
	wantState(t, f.doc(t, "urn:oid:21.1"), docbridge.Matched, "")
	f.now = f.now.Add(2 * time.Minute)
	f.settle(t)
	if got, want := w.String(), "create urn:oid:21.1, replace urn:oid:21.2>urn:oid:21.1"; got != want {
		t.Errorf("requests = %s, want %s", got, want)
	}
}

// TestVersionChainsStayWithinOnePatient: a replacement or deletion naming
// another patient's document stops in review and retires nothing.
func TestVersionChainsStayWithinOnePatient(t *testing.T) {
	t.Run("replacement of a held document", func(t *testing.T) {
		f, w := newVersionFixture(t, nil)
		f.pair(t)
		f.accept(t, "urn:oid:22.1;patient=b") // B is not paired: held
		f.accept(t, "urn:oid:22.2;replaces=urn:oid:22.1")
		f.settle(t)
		r := f.doc(t, "urn:oid:22.2")
		wantState(t, r, docbridge.Review, docbridge.VersionConflict)
		for _, want := range []string{"urn:oid:22.1", "ins", "birthName"} {
			if !strings.Contains(r.Message, want) {
				t.Errorf("message %q does not name %q", r.Message, want)
			}
		}
		for _, secret := range []string{patientB.INS, patientB.BirthName, patient.BirthName, patientB.BirthDate} {
			if strings.Contains(r.Message, secret) {
				t.Errorf("message %q holds patient data", r.Message)
			}
		}
		wantState(t, f.doc(t, "urn:oid:22.1"), docbridge.Held, docbridge.NotPaired)
		f.pairB(t)
		f.settle(t)
		wantState(t, f.doc(t, "urn:oid:22.1"), docbridge.Delivered, "")
		if got, want := w.String(), "create urn:oid:22.1"; got != want {
			t.Errorf("requests = %s, want %s", got, want)
		}
	})
	t.Run("deletion of a delivered document", func(t *testing.T) {
		f, w := newVersionFixture(t, nil)
		f.pair(t)
		f.pairB(t)
		f.accept(t, "urn:oid:23.1;patient=b")
		f.settle(t)
		f.accept(t, "urn:oid:23.1;delete")
		f.settle(t)
		wantState(t, f.version(t, "urn:oid:23.1", docbridge.Delete), docbridge.Review, docbridge.VersionConflict)
		wantState(t, f.version(t, "urn:oid:23.1", docbridge.Create), docbridge.Delivered, "")
		if got, want := w.String(), "create urn:oid:23.1"; got != want {
			t.Errorf("requests = %s, want %s", got, want)
		}
	})
	t.Run("late original of another patient", func(t *testing.T) {
		f, _ := newVersionFixture(t, nil)
		f.pair(t)
		f.pairB(t)
		f.accept(t, "urn:oid:24.2;replaces=urn:oid:24.1") // unknown here: goes as a replacement
		f.settle(t)
		f.accept(t, "urn:oid:24.1;patient=b")
		f.settle(t)
		wantState(t, f.doc(t, "urn:oid:24.1"), docbridge.Delivered, "")
	})
}

// TestReplacementByServerID: a replacement naming its original by MES id
// resolves through the ids docbridge recorded; an unknown id stops it in
// review as a replacement.
func TestReplacementByServerID(t *testing.T) {
	f, w := newVersionFixture(t, nil)
	f.pair(t)
	f.accept(t, "urn:oid:25.1")
	f.settle(t)
	mesID := f.doc(t, "urn:oid:25.1").MESID
	f.accept(t, "urn:oid:25.2;mesref="+mesID)
	f.accept(t, "urn:oid:25.3;mesref=dr-unknown")
	f.settle(t)
	wantState(t, f.doc(t, "urn:oid:25.1"), docbridge.Superseded, "")
	wantState(t, f.doc(t, "urn:oid:25.2"), docbridge.Delivered, "")
	r := f.doc(t, "urn:oid:25.3")
	wantState(t, r, docbridge.Review, docbridge.VersionConflict)
	if r.Doc.Action != docbridge.Replace || !strings.Contains(r.Message, "dr-unknown") {
		t.Errorf("unresolved document is a %s with message %q, want a replacement naming the id", r.Doc.Action, r.Message)
	}
	if got, want := w.String(), "create urn:oid:25.1, replace urn:oid:25.2>urn:oid:25.1"; got != want {
		t.Errorf("requests = %s, want %s", got, want)
	}
}

// TestDeleteOfARefusedVersion: a deletion of a version MES refused deletes
// it here and sends nothing; MES never had it.
func TestDeleteOfARefusedVersion(t *testing.T) {
	f, w := newVersionFixture(t, map[string][]error{"urn:oid:26.1": {docbridge.Errorf(docbridge.MESRejected, "422")}})
	f.pair(t)
	f.accept(t, "urn:oid:26.1")
	f.settle(t)
	f.accept(t, "urn:oid:26.1;delete")
	f.settle(t)
	wantState(t, f.version(t, "urn:oid:26.1", docbridge.Create), docbridge.Deleted, "")
	wantState(t, f.version(t, "urn:oid:26.1", docbridge.Delete), docbridge.Deleted, "")
	if got, want := w.String(), "create urn:oid:26.1"; got != want {
		t.Errorf("requests = %s, want %s", got, want)
	}
}

// finderFunc adapts a function to Finder.
type finderFunc func(uniqueID string) (string, bool, error)

func (f finderFunc) Find(_ context.Context, uniqueID string, _ docbridge.Pairing) (string, bool, error) {
	return f(uniqueID)
}

// TestReplacementAsksMESAboutAnUnretriedOriginal: when the original was
// sent without a definite answer and then given up (failed after
// delivery.max_age), nothing here retries it: MES is asked whether it holds
// it. Held there, the replacement names it; absent, the original is
// superseded here and the replacement goes as a creation.
func TestReplacementAsksMESAboutAnUnretriedOriginal(t *testing.T) {
	down := &docbridge.Error{Reason: docbridge.MESUnavailable, Msg: "connection reset"}
	tests := []struct {
		name   string
		finder Finder
		wire   string
		v1     docbridge.State
	}{
		{"MES holds it", finderFunc(func(string) (string, bool, error) { return "dr-1", true, nil }),
			"replace urn:oid:27.2>urn:oid:27.1", docbridge.Failed},
		{"MES does not hold it", finderFunc(func(string) (string, bool, error) { return "", false, nil }),
			"create urn:oid:27.2", docbridge.Superseded},
		{"MES cannot answer", finderFunc(func(string) (string, bool, error) { return "", false, down }),
			"replace urn:oid:27.2>urn:oid:27.1", docbridge.Failed},
		{"no finder", nil, "replace urn:oid:27.2>urn:oid:27.1", docbridge.Failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, w := newVersionFixture(t, map[string][]error{"urn:oid:27.1": {down, down}})
			f.p.o.MaxAge, f.p.o.Finder = time.Hour, tt.finder
			f.pair(t)
			f.accept(t, "urn:oid:27.1")
			f.settle(t)
			f.now = f.now.Add(2 * time.Hour)
			f.settle(t)
			wantState(t, f.doc(t, "urn:oid:27.1"), docbridge.Failed, docbridge.MESUnavailable)
			w.log = nil
			f.accept(t, "urn:oid:27.2;replaces=urn:oid:27.1")
			f.settle(t)
			if got := w.String(); got != tt.wire {
				t.Errorf("requests = %s, want %s", got, tt.wire)
			}
			if got := f.doc(t, "urn:oid:27.1"); got.State != tt.v1 {
				t.Errorf("original is %s (%s), want %s", got.State, got.Message, tt.v1)
			}
		})
	}
}

// TestReplacementAndOriginalInOneClaim: with leases, an original this
// instance claimed in the same step is its own to settle: the replacement
// does not wait for the claim to end.
func TestReplacementAndOriginalInOneClaim(t *testing.T) {
	f, w := newVersionFixture(t, nil)
	f.p.o.Lease = time.Minute
	f.pair(t)
	f.accept(t, "urn:oid:28.2;replaces=urn:oid:28.1") // first in the claim
	f.accept(t, "urn:oid:28.1")
	f.settle(t)
	wantState(t, f.doc(t, "urn:oid:28.2"), docbridge.Delivered, "")
	wantState(t, f.doc(t, "urn:oid:28.1"), docbridge.Superseded, "")
	if got, want := w.String(), "create urn:oid:28.2"; got != want {
		t.Errorf("requests = %s, want %s", got, want)
	}
}

// TestDeletionSettlesItsOriginal: a deletion of a version whose answer was
// lost retries that version first, then deletes it at MES; never "nothing
// to delete" while MES may hold it.
func TestDeletionSettlesItsOriginal(t *testing.T) {
	lost := &docbridge.Error{Reason: docbridge.MESUnavailable, Msg: "connection reset after the request was sent"}
	f, w := newVersionFixture(t, map[string][]error{"urn:oid:29.1": {lost, errDuplicate}})
	f.pair(t)
	f.accept(t, "urn:oid:29.1")
	f.settle(t)
	f.accept(t, "urn:oid:29.1;delete")
	f.settle(t)
	f.now = f.now.Add(time.Hour)
	f.settle(t)
	if got, want := w.String(), "create urn:oid:29.1, create urn:oid:29.1, delete urn:oid:29.1"; got != want {
		t.Errorf("requests = %s, want %s", got, want)
	}
	wantState(t, f.version(t, "urn:oid:29.1", docbridge.Create), docbridge.Deleted, "")
	wantState(t, f.version(t, "urn:oid:29.1", docbridge.Delete), docbridge.Deleted, "")
}

// TestReplacementOfAnUnknownOriginal: a replacement of a version docbridge
// has no record of names it when MES holds it (or cannot say), and goes as
// a creation when MES holds none; the original, if it comes later, is
// never sent.
func TestReplacementOfAnUnknownOriginal(t *testing.T) {
	tests := []struct {
		name   string
		finder Finder
		wire   string
	}{
		{"MES holds it", finderFunc(func(string) (string, bool, error) { return "dr-1", true, nil }), "replace urn:oid:30.2>urn:oid:30.1"},
		{"MES holds none", finderFunc(func(string) (string, bool, error) { return "", false, nil }), "create urn:oid:30.2"},
		{"no finder", nil, "replace urn:oid:30.2>urn:oid:30.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, w := newVersionFixture(t, nil)
			f.p.o.Finder = tt.finder
			f.pair(t)
			f.accept(t, "urn:oid:30.2;replaces=urn:oid:30.1")
			f.settle(t)
			f.accept(t, "urn:oid:30.1")
			f.settle(t)
			if got := w.String(); got != tt.wire {
				t.Errorf("requests = %s, want %s", got, tt.wire)
			}
			wantState(t, f.doc(t, "urn:oid:30.2"), docbridge.Delivered, "")
			wantState(t, f.doc(t, "urn:oid:30.1"), docbridge.Superseded, "")
		})
	}
}
