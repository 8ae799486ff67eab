package operate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/internal/store"
)

// Action is something a person does to a stored document.
type Action string

// The operator actions.
const (
	// Retry sends a document stopped for a delivery outcome
	// (docbridge.CanRetry) back to converted.
	Retry Action = "retry"
	// Release sends a held document back to converted.
	Release Action = "release"
	// Reconvert converts a document's input again (store.Reconvertible);
	// see ReconvertInput.
	Reconvert Action = "reconvert"
	// Confirm, Reject and SetAside are review decisions
	// (identity.Decide): they need a note.
	Confirm  = Action(identity.Confirm)
	Reject   = Action(identity.Reject)
	SetAside = Action(identity.SetAside)
)

// Applies reports whether a may be applied to document r at all. A review
// decision that applies may still be refused by Plan (an empty note, a
// diff that changed since it was shown).
func Applies(a Action, r store.DocRow) bool {
	switch a {
	case Retry:
		return docbridge.CanRetry(r.State, r.Reason)
	case Release:
		return r.State == docbridge.Held
	case Reconvert:
		return store.Reconvertible(r.State, r.Reason)
	case Confirm:
		return identity.CanConfirm(r.State, r.Reason, r.Doc)
	case Reject, SetAside:
		return r.State == docbridge.Review
	}
	return false
}

// Check returns nil when a applies to document r (Applies), else a
// *RefusedError saying, for a person, to which documents a applies.
func Check(a Action, r store.DocRow) error {
	if Applies(a, r) {
		return nil
	}
	if msg, ok := refusals[a]; ok {
		return &RefusedError{msg}
	}
	return &RefusedError{fmt.Sprintf("%s does not apply to a document %s for %s.", a, r.State, orNone(r.Reason))}
}

func orNone(r docbridge.Reason) string {
	if r == "" {
		return "no reason"
	}
	return string(r)
}

// refusals say, for a person, to which documents an action applies.
var refusals = map[Action]string{
	Retry:     "Retry applies to documents failed or held for a delivery reason (mes-unavailable, mes-rejected, internal, pairing-expired).",
	Release:   "Release applies to held documents.",
	Reconvert: "Convert again applies to documents stopped for missing-metadata, unmapped-code or profile-invalid.",
}

// defaultMessages are the transition messages of Retry and Release when
// the person gave no note.
var defaultMessages = map[Action]string{
	Retry:   "operator retry",
	Release: "operator release",
}

// RefusedError is an action that does not apply to a document; Msg says
// why, for the person who asked.
type RefusedError struct{ Msg string }

func (e *RefusedError) Error() string { return e.Msg }

// Request is what a person asks of one document.
type Request struct {
	Action Action
	Actor  string // "user:NAME", the records' actor
	Note   string // why; required by review decisions, the message of a retry or release when given
	Seen   string // the diff fingerprint shown, to confirm an identity mismatch
}

// Plan returns the transition req makes of document r (Actor set), or a
// *RefusedError saying why it does not apply. ps finds the candidate
// pairing of an identity-mismatch confirmation; other errors are its
// lookup's. Reconvert is not a transition: use ReconvertInput.
func Plan(ctx context.Context, ps identity.Pairings, r store.DocRow, req Request) (store.Transition, error) {
	t := store.Transition{ID: r.ID, From: r.State, Actor: req.Actor}
	note := strings.TrimSpace(req.Note)
	switch req.Action {
	case Retry, Release:
		if err := Check(req.Action, r); err != nil {
			return t, err
		}
		t.To, t.Message = docbridge.Converted, note
		if note == "" {
			t.Message = defaultMessages[req.Action]
		}
		return t, nil
	case Confirm, Reject, SetAside:
		out, err := identity.Decide(ctx, ps, r.State, r.Reason, r.Doc, identity.Action(req.Action), note, req.Seen)
		var ref *identity.RefusedError
		if errors.As(err, &ref) {
			return t, &RefusedError{ref.Msg}
		}
		if err != nil {
			return t, err
		}
		t.To, t.Reason, t.Message = out.To, out.Reason, out.Message
		return t, nil
	case Reconvert:
		return t, &RefusedError{"Convert again is not a transition of one document: it converts the document's input again."}
	}
	return t, &RefusedError{fmt.Sprintf("Unknown action %q.", req.Action)}
}

// Store is what Do reads and changes. *store.Store implements it.
type Store interface {
	identity.Pairings
	Transition(ctx context.Context, t store.Transition) error
}

// Do plans req on document r and records the transition, with its audit
// record, in one commit. It returns the transition recorded; a
// *RefusedError when the action does not apply; an error wrapping
// store.ErrConflict when the document changed since r was read (nothing
// was recorded); other errors are the store's or the pairing lookup's.
func Do(ctx context.Context, st Store, r store.DocRow, req Request) (store.Transition, error) {
	t, err := Plan(ctx, st, r, req)
	if err != nil {
		return t, err
	}
	if err := st.Transition(ctx, t); err != nil {
		return t, fmt.Errorf("%s document %d: %w", req.Action, r.ID, err)
	}
	return t, nil
}
