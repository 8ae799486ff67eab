package identity

import (
	"context"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
)

type decisionsFunc func(uniqueID, sha string) ([]Confirmation, error)

func (f decisionsFunc) Confirmations(_ context.Context, uniqueID, sha string) ([]Confirmation, error) {
	return f(uniqueID, sha)
}

func TestConfirmationMessage(t *testing.T) {
	c := Confirmation{PairingID: `p "1"; x`, Fingerprint: "0123456789abcdef0123456789abcdef"}
	tests := []struct {
		msg    string
		want   Confirmation
		wantOK bool
	}{
		{ConfirmationMessage(c, "checked"), c, true},
		{ConfirmationMessage(c, ""), c, true},
		{"review confirmed: fine", Confirmation{}, false},
		{`identity confirmed for pairing "p1" with diff nothex`, Confirmation{}, false},
		{`identity confirmed for pairing "p1" with diff 0123456789abcdef0123456789abcdefEXTRA`, Confirmation{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseConfirmation(tt.msg)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseConfirmation(%q) = %+v, %v; want %+v, %v", tt.msg, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestMatchHonoursConfirmations(t *testing.T) {
	doc := &docbridge.Document{UniqueID: "urn:oid:1.2.3", SHA256: "ab12", Patient: camille}
	doc.Patient.BirthDate = "1985-04-18"
	paired := docbridge.Pairing{ID: "p1", Patient: camille}
	fp := Fingerprint(doc, paired)
	if strings.Contains(fp, "1985") || len(fp) != 32 {
		t.Fatalf("Fingerprint = %q", fp)
	}
	otherPlace := camille
	otherPlace.BirthPlace = "69123"
	tests := []struct {
		name    string
		pairing docbridge.Pairing
		conf    []Confirmation
		want    docbridge.Reason
	}{
		{"no decision", paired, nil, docbridge.IdentityMismatch},
		{"confirmed diff, same pairing", paired, []Confirmation{{"p1", fp}}, ""},
		{"confirmed for another pairing", docbridge.Pairing{ID: "p2", Patient: camille}, []Confirmation{{"p1", fp}}, docbridge.IdentityMismatch},
		{"paired identity changed since", docbridge.Pairing{ID: "p1", Patient: otherPlace}, []Confirmation{{"p1", fp}}, docbridge.IdentityMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &Matcher{
				Pairings:  pairingsFunc(func(string) (docbridge.Pairing, bool, error) { return tt.pairing, true, nil }),
				Decisions: decisionsFunc(func(string, string) ([]Confirmation, error) { return tt.conf, nil }),
			}
			_, err := m.Match(context.Background(), doc)
			if got := docbridge.ReasonOf(err); got != tt.want {
				t.Errorf("Match reason = %q (%v), want %q", got, err, tt.want)
			}
		})
	}
	// The key matters: the same diff for another document version has
	// another fingerprint.
	other := *doc
	other.SHA256 = "cd34"
	if Fingerprint(&other, paired) == fp {
		t.Error("Fingerprint does not depend on the document's content hash")
	}
}
