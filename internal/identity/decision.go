package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/traits"
)

// Identity-vigilance decisions.
//
// A document in review for IdentityMismatch can be confirmed by a person
// who looked at the trait-by-trait diff against the pairing found by its
// INS. The decision is recorded as the message of the review → converted
// transition that the person makes (actor "user:NAME"), in the form
// ConfirmationMessage writes: the pairing id and a Fingerprint of the
// exact diff the person saw. When the match (or deliver) stage meets the
// mismatch again, the Matcher accepts the document only if a recorded
// confirmation names the same pairing and the same fingerprint: a
// different pairing, or the same pairing whose identity changed so that
// the diff is not the one accepted, goes back to review.
//
// The fingerprint is an HMAC keyed with the document's content hash
// (Document.SHA256), which never appears in events, the audit trail or
// logs: the message carries no patient data, and cannot be used to guess
// traits by hashing candidates.

// Confirmation is a person's recorded decision that one document version
// may go to pairing PairingID although its identity differs from the
// paired one by the diff whose Fingerprint is given.
type Confirmation struct {
	PairingID   string
	Fingerprint string
}

// Decisions finds the confirmations recorded for a document version.
type Decisions interface {
	// Confirmations returns the confirmations people recorded for the
	// stored document with this uniqueId and content hash, in any order.
	Confirmations(ctx context.Context, uniqueID, sha256 string) ([]Confirmation, error)
}

// Fingerprint returns the fingerprint of the diff between document d and
// pairing p (Compare after normalisation, pairing id included), keyed with
// d.SHA256. Two calls give the same result exactly when the pairing id and
// every differing trait's normalised values are the same.
func Fingerprint(d *docbridge.Document, p docbridge.Pairing) string {
	mac := hmac.New(sha256.New, []byte(strings.ToLower(d.SHA256)))
	fmt.Fprintf(mac, "pairing\x00%s\n", p.ID)
	for _, df := range Compare(d.Patient, p.Patient) {
		fmt.Fprintf(mac, "%s\x00%s\x00%s\n", df.Trait, traits.Normalize(df.Document), traits.Normalize(df.Paired))
	}
	return hex.EncodeToString(mac.Sum(nil))[:32]
}

// confirmPrefix starts every confirmation message.
const confirmPrefix = "identity confirmed for pairing "

// ConfirmationMessage returns the transition message that records c,
// followed by the person's note (which may be empty).
func ConfirmationMessage(c Confirmation, note string) string {
	msg := confirmPrefix + strconv.Quote(c.PairingID) + " with diff " + c.Fingerprint
	if note = strings.TrimSpace(note); note != "" {
		msg += "; note: " + note
	}
	return msg
}

// ParseConfirmation reads a message ConfirmationMessage wrote, and reports
// whether it is one.
func ParseConfirmation(msg string) (Confirmation, bool) {
	rest, ok := strings.CutPrefix(msg, confirmPrefix)
	if !ok {
		return Confirmation{}, false
	}
	q, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return Confirmation{}, false
	}
	id, _ := strconv.Unquote(q)
	rest, ok = strings.CutPrefix(rest[len(q):], " with diff ")
	if !ok || len(rest) < 32 {
		return Confirmation{}, false
	}
	fp := rest[:32]
	if _, err := hex.DecodeString(fp); err != nil || (len(rest) > 32 && !strings.HasPrefix(rest[32:], "; note: ")) {
		return Confirmation{}, false
	}
	return Confirmation{PairingID: id, Fingerprint: fp}, true
}

// equalFingerprint compares two fingerprints in constant time.
func equalFingerprint(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }

// confirmed reports whether a recorded confirmation accepts the diff
// between d and p.
func (m *Matcher) confirmed(ctx context.Context, d *docbridge.Document, p docbridge.Pairing) (bool, error) {
	if m.Decisions == nil || d.SHA256 == "" {
		return false, nil
	}
	cs, err := m.Decisions.Confirmations(ctx, d.UniqueID, d.SHA256)
	if err != nil {
		return false, fmt.Errorf("read identity decisions for document %s: %w", d.UniqueID, err)
	}
	want := Fingerprint(d, p)
	for _, c := range cs {
		if c.PairingID == p.ID && hmac.Equal([]byte(c.Fingerprint), []byte(want)) {
			return true, nil
		}
	}
	return false, nil
}
