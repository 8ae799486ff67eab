package docbridge

import (
	"errors"
	"fmt"
	"time"
)

// Reason is a code from the one reason vocabulary of docs/architecture.md §3. The same
// code appears in the CLI, reason files, HL7 ERR segments, logs and metric
// labels. Codes are added, never renamed.
type Reason string

// The reason vocabulary.
const (
	Malformed           Reason = "malformed"
	UnsupportedFormat   Reason = "unsupported-format"
	ForbiddenConstruct  Reason = "forbidden-construct"
	TooLarge            Reason = "too-large"
	MissingMetadata     Reason = "missing-metadata"
	UnmappedCode        Reason = "unmapped-code"
	MissingINS          Reason = "missing-ins"
	INSInvalid          Reason = "ins-invalid"
	INSTestOID          Reason = "ins-test-oid"
	MissingTrait        Reason = "missing-trait"
	IdentityMismatch    Reason = "identity-mismatch"
	IdentityUnqualified Reason = "identity-unqualified"
	NotPaired           Reason = "not-paired"
	PairingRevoked      Reason = "pairing-revoked"
	MESUnavailable      Reason = "mes-unavailable"
	MESRejected         Reason = "mes-rejected"
	Duplicate           Reason = "duplicate"
	// PairingExpired: a document held for a pairing (not-paired or
	// pairing-revoked) waited longer than identity.hold_max; it fails with
	// a report, and `queue retry` can send it through matching again.
	PairingExpired Reason = "pairing-expired"
	// PairingConflict: two or more live pairings claim the document's INS;
	// a person must revoke the wrong one. Nothing is guessed.
	PairingConflict Reason = "pairing-conflict"
	// VersionConflict: a document arrives under the id of a stored one but
	// differs from it (another patient, other content or metadata) and its
	// source does not say it is a correction; or a replacement or deletion
	// names a document of another patient. A person compares both versions'
	// metadata and decides. Nothing is merged silently.
	VersionConflict Reason = "version-conflict"
	// ProfileInvalid: a source profile (configuration) gives a value the
	// national value sets do not know; the operator fixes the profile and
	// converts the input again (queue reconvert).
	ProfileInvalid Reason = "profile-invalid"
	// ScopeMissing: the patient's pairing does not cover this kind of
	// data (a measurement, an appointment: Pairing.Covers); it is held
	// until the patient pairs again granting it, never sent without.
	ScopeMissing Reason = "scope-missing"
	// NotForAgenda: an appointment whose type its source profile does
	// not send to the patient's agenda (ProfileAgenda.Types). It is
	// acknowledged and recorded, retired at once (superseded), never
	// sent: nothing is wrong with it.
	NotForAgenda Reason = "not-for-agenda"
	// UnitNotConvertible: a measurement's unit is missing, unknown, or not
	// convertible to the unit MES's profile fixes; the source must send
	// the value in a known unit.
	UnitNotConvertible Reason = "unit-not-convertible"
	// NotFinal: a measurement's result status is not final (preliminary,
	// partial, cancelled…); only final results go to MES, the final one
	// will when the source sends it.
	NotFinal Reason = "not-final"
	// OutOfRange: a measurement's value, in the profile's unit, is outside
	// the physiological range docbridge accepts for it (a typing or unit
	// error is likely); a person checks it with the source.
	OutOfRange Reason = "out-of-range"
	// MeasurementCorrection: a measurement corrects (C, A) or retracts (D,
	// W) one under the same key; MES publishes no way to update or delete
	// a measurement, so a person applies it in MES by hand. An alert is
	// logged.
	MeasurementCorrection Reason = "measurement-correction"
	// Internal is for failures of docbridge itself (disk full, store
	// unavailable): the input is kept and the operation can be retried.
	Internal Reason = "internal"
)

var reasonStates = map[Reason]State{
	Malformed:             Failed,
	UnsupportedFormat:     Failed,
	ForbiddenConstruct:    Failed,
	TooLarge:              Failed,
	MissingMetadata:       Review,
	UnmappedCode:          Review,
	MissingINS:            Review,
	INSInvalid:            Failed,
	INSTestOID:            Failed,
	MissingTrait:          Review,
	IdentityMismatch:      Review,
	IdentityUnqualified:   Review,
	NotPaired:             Held,
	PairingRevoked:        Held,
	MESUnavailable:        Held,
	MESRejected:           Failed,
	Duplicate:             Delivered,
	PairingExpired:        Failed,
	PairingConflict:       Review,
	VersionConflict:       Review,
	ProfileInvalid:        Review,
	ScopeMissing:          Held,
	UnitNotConvertible:    Failed,
	NotFinal:              Failed,
	OutOfRange:            Review,
	MeasurementCorrection: Review,
	NotForAgenda:          Superseded,
	Internal:              Held,
}

// State is the state a document takes when it stops for this reason, as the
// table of docs/architecture.md §3 says. An unknown reason gives Failed: a code nobody
// planned for must stop a document, not let it through.
func (r Reason) State() State {
	if s, ok := reasonStates[r]; ok {
		return s
	}
	return Failed
}

// Known reports whether r belongs to the vocabulary.
func (r Reason) Known() bool {
	_, ok := reasonStates[r]
	return ok
}

// Reasons returns the whole vocabulary, for documentation and tests.
func Reasons() []Reason {
	out := make([]Reason, 0, len(reasonStates))
	for r := range reasonStates {
		out = append(out, r)
	}
	return out
}

// Error is an error classified once, at the edge where it was found, with a
// reason code and a sentence a person can act on. It never carries patient
// data: Msg may be logged.
type Error struct {
	Reason Reason
	Msg    string
	// RetryAfter is a hint for transient reasons (MES's Retry-After).
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Reason, e.Msg, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Reason, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with reason r and a formatted message.
func Errorf(r Reason, format string, args ...any) error {
	return &Error{Reason: r, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with reason r and message msg that wraps err.
func Wrap(r Reason, msg string, err error) error {
	return &Error{Reason: r, Msg: msg, Err: err}
}

// ReasonOf returns the reason of the first *Error in err's chain, "" for a
// nil error and Internal for an error nobody classified.
func ReasonOf(err error) Reason {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return Internal
}

// MessageOf returns the human sentence of the first *Error in err's chain,
// or err.Error() for an unclassified error.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	if err == nil {
		return ""
	}
	return err.Error()
}
