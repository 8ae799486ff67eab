package operate

import (
	"context"
	"errors"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// noPairings is a pairing lookup that finds nothing.
type noPairings struct{}

func (noPairings) PairingsByINS(context.Context, string) ([]docbridge.Pairing, error) {
	return nil, nil
}

var complete = &docbridge.Document{Patient: docbridge.Patient{INS: "285047505612322", INSSystem: "urn:oid:1.2.250.1.213.1.4.10",
	BirthName: "DOCBRIDGE-TEST", FirstNames: []string{"CAMILLE"}, BirthDate: "1985-04-17", Sex: "F", BirthPlace: "75056"}}

func TestPlan(t *testing.T) {
	row := func(s docbridge.State, r docbridge.Reason, pairing string) store.DocRow {
		return store.DocRow{ID: 7, State: s, Reason: r, PairingID: pairing, Doc: complete}
	}
	tests := []struct {
		name    string
		row     store.DocRow
		req     Request
		want    store.Transition
		refused bool
	}{
		{"retry of a paired document goes back to converted", row(docbridge.Held, docbridge.MESUnavailable, "p1"), Request{Action: Retry, Actor: "user:a"},
			store.Transition{ID: 7, From: docbridge.Held, To: docbridge.Converted, Message: "operator retry", Actor: "user:a"}, false},
		{"retry with a note", row(docbridge.Failed, docbridge.MESRejected, ""), Request{Action: Retry, Actor: "user:a", Note: " fixed at MES "},
			store.Transition{ID: 7, From: docbridge.Failed, To: docbridge.Converted, Message: "fixed at MES", Actor: "user:a"}, false},
		{"retry refused for a verdict on the document", row(docbridge.Failed, docbridge.INSInvalid, ""), Request{Action: Retry}, store.Transition{}, true},
		{"release", row(docbridge.Held, docbridge.NotPaired, ""), Request{Action: Release, Actor: "user:b"},
			store.Transition{ID: 7, From: docbridge.Held, To: docbridge.Converted, Message: "operator release", Actor: "user:b"}, false},
		{"release refused for failed", row(docbridge.Failed, docbridge.MESRejected, ""), Request{Action: Release}, store.Transition{}, true},
		{"confirm", row(docbridge.Review, docbridge.UnmappedCode, ""), Request{Action: Confirm, Actor: "user:c", Note: "checked"},
			store.Transition{ID: 7, From: docbridge.Review, To: docbridge.Converted, Message: "review confirmed: checked", Actor: "user:c"}, false},
		{"reject keeps the reason", row(docbridge.Review, docbridge.MissingINS, ""), Request{Action: Reject, Actor: "user:c", Note: "no"},
			store.Transition{ID: 7, From: docbridge.Review, To: docbridge.Failed, Reason: docbridge.MissingINS, Message: "review rejected: no", Actor: "user:c"}, false},
		{"decision without a note", row(docbridge.Review, docbridge.UnmappedCode, ""), Request{Action: SetAside}, store.Transition{}, true},
		{"confirm of missing-ins", row(docbridge.Review, docbridge.MissingINS, ""), Request{Action: Confirm, Note: "x"}, store.Transition{}, true},
		{"reconvert is not a transition", row(docbridge.Review, docbridge.UnmappedCode, ""), Request{Action: Reconvert}, store.Transition{}, true},
		{"unknown action", row(docbridge.Held, docbridge.NotPaired, ""), Request{Action: "erase"}, store.Transition{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Plan(context.Background(), noPairings{}, tt.row, tt.req)
			var ref *RefusedError
			if refused := errors.As(err, &ref); refused != tt.refused {
				t.Fatalf("Plan error = %v, want refused %t", err, tt.refused)
			}
			if tt.refused {
				if ref.Msg == "" {
					t.Error("a refusal without a sentence")
				}
				return
			}
			if got != tt.want {
				t.Errorf("Plan = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestApplies(t *testing.T) {
	tests := []struct {
		a      Action
		state  docbridge.State
		reason docbridge.Reason
		want   bool
	}{
		{Retry, docbridge.Held, docbridge.MESUnavailable, true},
		{Retry, docbridge.Failed, docbridge.PairingExpired, true},
		{Retry, docbridge.Held, docbridge.NotPaired, false},
		{Release, docbridge.Held, docbridge.NotPaired, true},
		{Release, docbridge.Review, docbridge.UnmappedCode, false},
		{Reconvert, docbridge.Review, docbridge.UnmappedCode, true},
		{Reconvert, docbridge.Failed, docbridge.MESRejected, false},
		{Confirm, docbridge.Review, docbridge.IdentityMismatch, true},
		{Confirm, docbridge.Review, docbridge.VersionConflict, false},
		{Reject, docbridge.Review, docbridge.VersionConflict, true},
		{SetAside, docbridge.Held, docbridge.NotPaired, false},
	}
	for _, tt := range tests {
		r := store.DocRow{State: tt.state, Reason: tt.reason, Doc: complete}
		if got := Applies(tt.a, r); got != tt.want {
			t.Errorf("Applies(%s, %s/%s) = %t, want %t", tt.a, tt.state, tt.reason, got, tt.want)
		}
	}
}

func TestCheckSaysWhy(t *testing.T) {
	r := store.DocRow{State: docbridge.Delivered, Doc: complete}
	for _, a := range []Action{Retry, Release, Reconvert, Confirm, Reject, SetAside} {
		var ref *RefusedError
		if err := Check(a, r); !errors.As(err, &ref) || ref.Msg == "" {
			t.Errorf("Check(%s, delivered) = %v, want a refusal with a sentence", a, err)
		}
	}
	if err := Check(Release, store.DocRow{State: docbridge.Held, Reason: docbridge.NotPaired}); err != nil {
		t.Errorf("Check(release, held) = %v, want nil", err)
	}
}
