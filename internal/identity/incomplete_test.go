package identity

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
)

// bare is the patient of issue 15 case 6: an INS and none of the five
// strict traits.
var bare = docbridge.Patient{INS: camille.INS, INSSystem: camille.INSSystem}

func TestIncomplete(t *testing.T) {
	noSex := camille
	noSex.Sex = ""
	noNames := camille
	noNames.FirstNames = []string{" - "}
	badKey := camille
	badKey.INS = "285047505612399"
	tests := []struct {
		name string
		p    docbridge.Patient
		want docbridge.Reason
		says []string // words the message must hold
	}{
		{"complete", camille, "", nil},
		{"no INS", docbridge.Patient{}, docbridge.MissingINS, nil},
		{"wrong check key", badKey, docbridge.INSInvalid, nil},
		{"no trait at all", bare, docbridge.MissingTrait, []string{"birth name", "birth first names", "birth date", "sex", "birthplace"}},
		{"no sex", noSex, docbridge.MissingTrait, []string{"sex"}},
		{"first names that normalise to nothing", noNames, docbridge.MissingTrait, []string{"birth first names"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Incomplete(tt.p)
			if got := docbridge.ReasonOf(err); got != tt.want {
				t.Fatalf("Incomplete reason = %q (%v), want %q", got, err, tt.want)
			}
			for _, w := range tt.says {
				if !strings.Contains(docbridge.MessageOf(err), w) {
					t.Errorf("Incomplete message %q does not name %q", docbridge.MessageOf(err), w)
				}
			}
			if err != nil && strings.Contains(err.Error(), camille.INS) {
				t.Errorf("Incomplete message %q carries the INS", err)
			}
		})
	}
}

// TestMatchMissingTraitWhateverTheReview (issue 15 case 6): a document
// without its traits is missing-trait, not identity-mismatch, and no
// recorded confirmation — not even one of the exact diff against the
// pairing — lets it match.
func TestMatchMissingTraitWhateverTheReview(t *testing.T) {
	doc := &docbridge.Document{UniqueID: "urn:oid:1.2.9", SHA256: "ab12", Patient: bare}
	paired := docbridge.Pairing{ID: "p1", Patient: camille}
	fp := Fingerprint(doc, paired)
	m := &Matcher{
		Pairings:  pairingList{paired},
		Decisions: decisionsFunc(func(string, string) ([]Confirmation, error) { return []Confirmation{{"p1", fp}}, nil }),
	}
	for _, p := range []docbridge.Patient{bare, func() docbridge.Patient { p := camille; p.BirthPlace = ""; return p }()} {
		doc.Patient = p
		_, err := m.Match(context.Background(), doc)
		if got := docbridge.ReasonOf(err); got != docbridge.MissingTrait {
			t.Errorf("Match of a document lacking traits = %q (%v), want missing-trait", got, err)
		}
	}
	// Not paired yet: still missing-trait (review before held).
	doc.Patient = bare
	if _, err := (&Matcher{Pairings: pairingList{}}).Match(context.Background(), doc); docbridge.ReasonOf(err) != docbridge.MissingTrait {
		t.Errorf("Match without a pairing = %v, want missing-trait", err)
	}
}

// TestDecideNeverConfirmsAnIncompleteIdentity (issue 15 case 6): whatever
// the review reason, a confirmation of a document that lacks a trait (or
// whose INS is not valid) is refused, at the first and at any later try.
func TestDecideNeverConfirmsAnIncompleteIdentity(t *testing.T) {
	paired := docbridge.Pairing{ID: "p1", Patient: camille}
	doc := &docbridge.Document{UniqueID: "urn:oid:1.2.9", SHA256: "ab12", Patient: bare}
	fp := Fingerprint(doc, paired)
	badKey := &docbridge.Document{UniqueID: "urn:oid:1.2.8", SHA256: "ab12", Patient: camille}
	badKey.Patient.INS = "285047505612399"
	for _, d := range []*docbridge.Document{doc, badKey} {
		for _, reason := range []docbridge.Reason{
			docbridge.UnmappedCode, docbridge.MissingMetadata, docbridge.IdentityMismatch, docbridge.IdentityUnqualified,
			docbridge.PairingConflict, docbridge.VersionConflict, docbridge.ProfileInvalid, docbridge.MissingTrait,
		} {
			for try := 1; try <= 2; try++ {
				_, err := Decide(context.Background(), pairingList{paired}, docbridge.Review, reason, d, Confirm, "looks fine", fp)
				var ref *RefusedError
				if !errors.As(err, &ref) {
					t.Errorf("%s: confirm %s review (try %d) = %v, want refused", d.UniqueID, reason, try, err)
				}
			}
			if CanConfirm(docbridge.Review, reason, d) {
				t.Errorf("%s: CanConfirm(review, %s) = true, want false", d.UniqueID, reason)
			}
			if _, err := Decide(context.Background(), pairingList{paired}, docbridge.Review, reason, d, Reject, "incomplete", ""); err != nil {
				t.Errorf("%s: reject %s review = %v, want accepted", d.UniqueID, reason, err)
			}
		}
	}
	complete := &docbridge.Document{UniqueID: "urn:oid:1.2.7", SHA256: "ab12", Patient: camille}
	if !CanConfirm(docbridge.Review, docbridge.UnmappedCode, complete) {
		t.Error("CanConfirm(review, unmapped-code) of a complete identity = false, want true")
	}
}
