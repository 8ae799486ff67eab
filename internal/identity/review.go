package identity

import (
	"context"
	"fmt"
	"strings"

	"github.com/docbridge/docbridge"
)

// Review decisions (docs/architecture.md §8, issue 3 item 5). A person confirms a
// match, rejects the document, or sets it aside; the console and
// `docbridge queue review` both call Decide and record its Outcome as a
// transition whose actor is the person ("user:NAME") and whose message
// carries the note: every decision says who and why.

// Action is a person's decision on a document in review.
type Action string

// The review decisions.
const (
	// Confirm sends the document through matching again. For an
	// identity-mismatch review it records a Confirmation of the exact diff
	// the person saw, so that the Matcher accepts it for that pairing.
	Confirm Action = "confirm"
	// Reject fails the document with its review reason.
	Reject Action = "reject"
	// SetAside keeps the document in review with a note, for later.
	SetAside Action = "aside"
)

// Candidate is what a person deciding an identity review is shown: the
// one live pairing found by the document's INS and the trait-by-trait
// diff. It holds patient data: show it to an authorised person only.
type Candidate struct {
	Paired      bool // one live pairing claims the INS
	Pairing     docbridge.Pairing
	Diffs       []Diff
	Fingerprint string
	// Problem, when not Paired, says why no pairing is shown (not paired,
	// revoked, several live pairings); it carries no patient data.
	Problem string
}

// CandidateFor finds the candidate pairing of document d. Errors are the
// lookup's only: no pairing, a revoked one or a conflict are a Candidate
// with Paired false and a Problem.
func CandidateFor(ctx context.Context, ps Pairings, d *docbridge.Document) (Candidate, error) {
	if d.Patient.INS == "" {
		return Candidate{Problem: "the document carries no INS"}, nil
	}
	p, err := livePairing(ctx, ps, d.Patient.INS)
	if docbridge.ReasonOf(err) == docbridge.Internal {
		return Candidate{}, err
	}
	if err != nil {
		return Candidate{Problem: docbridge.MessageOf(err)}, nil
	}
	return Candidate{Paired: true, Pairing: p, Diffs: Compare(d.Patient, p.Patient), Fingerprint: Fingerprint(d, p)}, nil
}

// Outcome is the transition a decision makes of a document in review.
type Outcome struct {
	To      docbridge.State
	Reason  docbridge.Reason
	Message string
}

// RefusedError is a decision that does not apply; Msg is for the person.
type RefusedError struct{ Msg string }

func (e *RefusedError) Error() string { return e.Msg }

func refused(format string, args ...any) error {
	return &RefusedError{Msg: fmt.Sprintf(format, args...)}
}

// unconfirmable review reasons need the source fixed: no decision can
// supply a missing INS or trait, nor make a second version of a document
// id that the source did not declare a replacement safe to send (MES
// would take it for the version it holds, or hold two).
var unconfirmable = map[docbridge.Reason]bool{
	docbridge.MissingINS: true, docbridge.MissingTrait: true, docbridge.VersionConflict: true,
	// MES has no update or delete for measurements: a person applies a
	// correction or retraction in MES; sending it would add a second value.
	docbridge.MeasurementCorrection: true,
}

// CanConfirm reports whether document d, in state with this review
// reason, may be confirmed at all (whatever the pairing): it must be in
// review for a reason a person can settle, and its identity must be
// complete (see Incomplete) whatever the reason of its review.
func CanConfirm(state docbridge.State, reason docbridge.Reason, d *docbridge.Document) bool {
	return state == docbridge.Review && !unconfirmable[reason] && d != nil && Incomplete(d.Patient) == nil
}

// Decide returns the Outcome of action on document d, in state with
// reason, decided by a person with this note, who was shown the diff
// whose fingerprint is seen (for an identity-mismatch confirmation). It
// returns a *RefusedError when the decision does not apply: the document
// is not in review, the note is empty, the reason cannot be confirmed, the
// document's identity is incomplete whatever its review (Incomplete), no
// single live pairing claims the INS any more, or the diff changed since
// it was shown. Other errors come from the pairing lookup.
func Decide(ctx context.Context, ps Pairings, state docbridge.State, reason docbridge.Reason, d *docbridge.Document, action Action, note, seen string) (Outcome, error) {
	note = strings.TrimSpace(note)
	if state != docbridge.Review {
		return Outcome{}, refused("The document is %s, not in review.", state)
	}
	if note == "" {
		return Outcome{}, refused("Say why: a decision needs a note.")
	}
	switch action {
	case Reject:
		return Outcome{To: docbridge.Failed, Reason: reason, Message: "review rejected: " + note}, nil
	case SetAside:
		return Outcome{To: docbridge.Review, Reason: reason, Message: "review set aside: " + note}, nil
	case Confirm:
	default:
		return Outcome{}, refused("Unknown decision %q (confirm, reject, aside).", action)
	}
	if unconfirmable[reason] {
		return Outcome{}, refused("A %s review cannot be confirmed: fix the document at its source, or reject it.", reason)
	}
	if err := Incomplete(d.Patient); err != nil {
		return Outcome{}, refused("The document cannot be confirmed, whatever its review: %s (%s). Reject it, or fix it at its source.",
			docbridge.MessageOf(err), docbridge.ReasonOf(err))
	}
	out := Outcome{To: docbridge.Converted, Message: "review confirmed: " + note}
	if reason != docbridge.IdentityMismatch {
		// The document is matched again: a pairing conflict that a person
		// resolved by revoking a pairing now matches, one that was not
		// resolved comes back to review.
		return out, nil
	}
	c, err := CandidateFor(ctx, ps, d)
	switch {
	case err != nil:
		return Outcome{}, err
	case !c.Paired:
		return Outcome{}, refused("No single live pairing has this document's INS any more (%s): nothing to confirm. The document can be rejected or set aside.", c.Problem)
	case seen == "" || !equalFingerprint(seen, c.Fingerprint):
		return Outcome{}, refused("The paired identity changed since the diff was shown: review the new difference.")
	}
	out.Message = ConfirmationMessage(Confirmation{PairingID: c.Pairing.ID, Fingerprint: c.Fingerprint}, note)
	return out, nil
}
