package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
)

// testReconvert: converting an input again supersedes its stopped
// documents with the new versions, leaves those that moved on untouched,
// says when nothing changed, and refuses inputs with nothing stopped.
func testReconvert(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, Options{})
	stoppedDoc := func(uid, body string) NewDocument {
		return NewDocument{Doc: newDoc(uid, body), State: docbridge.Review, Reason: docbridge.MissingMetadata, Message: "no facility type"}
	}
	in, refs := converted(t, s, "message", NewDocument{Doc: newDoc("urn:oid:8.1", "one"), State: docbridge.Converted}, stoppedDoc("urn:oid:8.2", "two"))
	transition(t, s, Transition{ID: refs[0].ID, From: docbridge.Converted, To: docbridge.Delivered, Actor: "deliver", MESID: "m1"})

	// Nothing new: the same versions again.
	res, err := s.Reconvert(ctx, in, Conversion{Docs: []NewDocument{{Doc: newDoc("urn:oid:8.1", "one"), State: docbridge.Converted}, stoppedDoc("urn:oid:8.2", "two")}})
	if err != nil || !res.Unchanged || len(res.Superseded) != 0 {
		t.Fatalf("Reconvert(the same) = %+v, %v; want Unchanged", res, err)
	}
	if d := document(t, s, refs[1].ID); d.State != docbridge.Review {
		t.Errorf("after an unchanged reconversion the stopped document is %s, want review", d.State)
	}

	// The cause fixed: the second document gets its facility type.
	fixed := newDoc("urn:oid:8.2", "two")
	fixed.FacilityType = docbridge.Coding{System: "urn:oid:1.2.250.1.71.4.2.4", Code: "SA25"}
	changedFirst := newDoc("urn:oid:8.1", "one")
	changedFirst.Title = "changed by a mapping"
	res, err = s.Reconvert(audit.WithActor(ctx, "user:op"), in, Conversion{Docs: []NewDocument{{Doc: changedFirst, State: docbridge.Converted}, {Doc: fixed, State: docbridge.Converted}}})
	if err != nil || res.Unchanged {
		t.Fatalf("Reconvert(fixed) = %+v, %v", res, err)
	}
	if r := res.Docs[0]; r.ID != refs[0].ID || !r.Existing || r.State != docbridge.Delivered {
		t.Errorf("the delivered document's ref = %+v, want it untouched", r)
	}
	if r := res.Docs[1]; r.Existing || r.State != docbridge.Converted || r.ID == refs[1].ID {
		t.Errorf("the fixed document's ref = %+v, want a new converted row", r)
	}
	old := document(t, s, refs[1].ID)
	if old.State != docbridge.Superseded || old.Message != fmt.Sprintf("converted again as document %d", res.Docs[1].ID) {
		t.Errorf("the stopped document is %s %q, want superseded, converted again as document %d", old.State, old.Message, res.Docs[1].ID)
	}
	if len(res.Superseded) != 1 || res.Superseded[0] != refs[1].ID {
		t.Errorf("Superseded = %v, want [%d]", res.Superseded, refs[1].ID)
	}
	if h, _ := s.History(ctx, refs[1].ID); h[len(h)-1].Actor != "user:op" {
		t.Errorf("the supersession's actor = %q, want user:op", h[len(h)-1].Actor)
	}
	// A resend of the input is answered with the new conversion.
	if got, _ := conversionRefs(ctx, s.r, in); len(got) != 2 || got[1].ID != res.Docs[1].ID {
		t.Errorf("the input's conversion = %+v, want the new document at position 1", got)
	}
	// Nothing is stopped any more.
	if _, err := s.Reconvert(ctx, in, Conversion{Docs: []NewDocument{{Doc: fixed, State: docbridge.Converted}}}); !errors.Is(err, ErrConflict) {
		t.Errorf("Reconvert(nothing stopped) = %v, want ErrConflict", err)
	}

	// An input refused as a whole for a reconvertible reason.
	refusedAs := func(body string, reason docbridge.Reason) int64 {
		a := accept(t, s, []byte(body))
		if err := s.FailInput(ctx, a.ID, reason, "refused"); err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	whole := refusedAs("pdf without sidecar", docbridge.MissingMetadata)
	res, err = s.Reconvert(ctx, whole, Conversion{Refusal: docbridge.Errorf(docbridge.MissingMetadata, "still no sidecar")})
	if err != nil || !res.Unchanged || res.Reason != docbridge.MissingMetadata {
		t.Errorf("Reconvert(refused again) = %+v, %v; want Unchanged, missing-metadata", res, err)
	}
	res, err = s.Reconvert(ctx, whole, Conversion{Docs: []NewDocument{{Doc: newDoc("urn:oid:8.3", "three"), State: docbridge.Converted}}})
	if err != nil || res.Unchanged || len(res.Docs) != 1 {
		t.Fatalf("Reconvert(refused, now converts) = %+v, %v", res, err)
	}
	if got, _ := s.Input(ctx, whole); got.State != docbridge.Converted || got.Reason != "" {
		t.Errorf("the input is %s %q, want converted", got.State, got.Reason)
	}
	stopped, err := s.StoppedInputs(ctx)
	if err != nil || len(stopped) != 0 {
		t.Errorf("StoppedInputs = %+v, %v; want none", stopped, err)
	}

	// Refused for what the source sent: not for reconversion.
	bad := refusedAs("garbage", docbridge.Malformed)
	if _, err := s.Reconvert(ctx, bad, Conversion{Docs: []NewDocument{{Doc: newDoc("urn:oid:8.4", "four"), State: docbridge.Converted}}}); !errors.Is(err, ErrConflict) {
		t.Errorf("Reconvert(malformed input) = %v, want ErrConflict", err)
	}
}
