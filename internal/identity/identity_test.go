package identity

import (
	"context"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/google/go-cmp/cmp"
)

func TestCheckINS(t *testing.T) {
	tests := []struct {
		name, ins, system string
		env               Environment
		want              docbridge.Reason
	}{
		{"ANS test patient, test OID in test", "279035121518989", "1.2.250.1.213.1.4.10", Test, ""},
		{"test OID refused in production", "279035121518989", "urn:oid:1.2.250.1.213.1.4.10", Production, docbridge.INSTestOID},
		{"demo OID refused in production", "279035121518989", "1.2.250.1.213.1.4.11", Production, docbridge.INSTestOID},
		{"valid NIR in production", "255081416802538", "1.2.250.1.213.1.4.8", Production, ""},
		{"NIA in production", "255081416802538", "urn:oid:1.2.250.1.213.1.4.9", Production, ""},
		{"CSE-MDE wrong key", "222127505611201", "1.2.250.1.213.1.4.8", Production, docbridge.INSInvalid},
		{"PDSM4DMP wrong key", "123456789012345", "1.2.250.1.213.1.4.8", Test, docbridge.INSInvalid},
		{"SDM-MR wrong key", "224027511583555", "1.2.250.1.213.1.4.10", Test, docbridge.INSInvalid},
		{"Corsica 2A", "185042A01212391", "1.2.250.1.213.1.4.8", Production, ""},
		{"Corsica 2B", "278052B00401202", "1.2.250.1.213.1.4.8", Production, ""},
		{"Corsica 2A wrong key", "185042A01212397", "1.2.250.1.213.1.4.8", Production, docbridge.INSInvalid},
		{"too short", "27903512151898", "1.2.250.1.213.1.4.8", Production, docbridge.INSInvalid},
		{"letters", "27903512151898X", "1.2.250.1.213.1.4.8", Production, docbridge.INSInvalid},
		{"legacy INS-C OID", "279035121518989", "1.2.250.1.213.1.4.2", Test, docbridge.INSInvalid},
		{"no system", "279035121518989", "", Test, docbridge.INSInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := docbridge.ReasonOf(CheckINS(tt.ins, tt.system, tt.env)); got != tt.want {
				t.Errorf("CheckINS(%q, %q, %s) reason = %q, want %q", tt.ins, tt.system, tt.env, got, tt.want)
			}
		})
	}
}

var camille = docbridge.Patient{
	INS: "285047505612322", INSSystem: "urn:oid:1.2.250.1.213.1.4.10",
	BirthName: "DOCBRIDGE-TEST", FirstNames: []string{"CAMILLE", "MARIE-ANNE"},
	BirthDate: "1985-04-17", Sex: "F", BirthPlace: "75056",
}

func TestCheck(t *testing.T) {
	noPlace := camille
	noPlace.BirthPlace = ""
	vali := camille
	vali.IdentityStatus = "VALI"
	prov := camille
	prov.IdentityStatus = "PROV"
	noINS := camille
	noINS.INS = ""
	tests := []struct {
		name string
		p    docbridge.Patient
		o    Options
		want []docbridge.Reason
	}{
		{"complete", camille, Options{Environment: Test}, nil},
		{"test OID in production", camille, Options{Environment: Production}, []docbridge.Reason{docbridge.INSTestOID}},
		{"bad key and test OID in production", func() docbridge.Patient { p := camille; p.INS = "285047505612399"; return p }(),
			Options{Environment: Production}, []docbridge.Reason{docbridge.INSInvalid, docbridge.INSTestOID}},
		{"missing birthplace", noPlace, Options{Environment: Test}, []docbridge.Reason{docbridge.MissingTrait}},
		{"VALI refused by default", vali, Options{Environment: Test}, []docbridge.Reason{docbridge.IdentityUnqualified}},
		{"VALI accepted when configured", vali, Options{Environment: Test, AcceptVALI: true}, nil},
		{"PROV refused", prov, Options{Environment: Test, AcceptVALI: true}, []docbridge.Reason{docbridge.IdentityUnqualified}},
		{"no INS", noINS, Options{Environment: Test}, []docbridge.Reason{docbridge.MissingINS}},
		{"nothing at all", docbridge.Patient{}, Options{Environment: Test}, []docbridge.Reason{
			docbridge.MissingINS, docbridge.MissingTrait, docbridge.MissingTrait, docbridge.MissingTrait, docbridge.MissingTrait, docbridge.MissingTrait}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []docbridge.Reason
			for _, p := range Check(tt.p, tt.o) {
				got = append(got, p.Code)
				if p.Severity != docbridge.SeverityError {
					t.Errorf("problem %s severity = %s, want error", p.Code, p.Severity)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check reasons (-want +got):\n%s", diff)
			}
		})
	}
}

type pairingsFunc func(ins string) (docbridge.Pairing, bool, error)

func (f pairingsFunc) PairingsByINS(_ context.Context, ins string) ([]docbridge.Pairing, error) {
	p, ok, err := f(ins)
	if !ok || err != nil {
		return nil, err
	}
	return []docbridge.Pairing{p}, nil
}

func TestMatch(t *testing.T) {
	paired := docbridge.Pairing{ID: "p1", Patient: camille}
	m := &Matcher{Pairings: pairingsFunc(func(ins string) (docbridge.Pairing, bool, error) {
		if ins == camille.INS {
			return paired, true, nil
		}
		return docbridge.Pairing{}, false, nil
	})}
	accented := camille
	accented.BirthName = "Docbridge Test"
	accented.FirstNames = []string{"Camille Marie Anne"}
	otherDate := camille
	otherDate.BirthDate = "1985-04-18"
	stranger := camille
	stranger.INS = "192036912304577"
	tests := []struct {
		name string
		p    docbridge.Patient
		want docbridge.Reason
	}{
		{"exact", camille, ""},
		{"case, hyphens and spaces only", accented, ""},
		{"birth date differs", otherDate, docbridge.IdentityMismatch},
		{"not paired", stranger, docbridge.NotPaired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &docbridge.Document{UniqueID: "urn:oid:1.2.3", Patient: tt.p}
			p, err := m.Match(context.Background(), d)
			if got := docbridge.ReasonOf(err); got != tt.want {
				t.Fatalf("Match reason = %q (%v), want %q", got, err, tt.want)
			}
			if err == nil && p.ID != "p1" {
				t.Errorf("Match pairing = %q, want p1", p.ID)
			}
		})
	}
}

func TestMismatchMessageHasNoPatientData(t *testing.T) {
	otherDate := camille
	otherDate.BirthDate = "1985-04-18"
	otherDate.BirthName = "AUTRE"
	m := &Matcher{Pairings: pairingsFunc(func(string) (docbridge.Pairing, bool, error) {
		return docbridge.Pairing{Patient: camille}, true, nil
	})}
	_, err := m.Match(context.Background(), &docbridge.Document{Patient: otherDate})
	msg := err.Error()
	for _, secret := range []string{"1985", "AUTRE", "DOCBRIDGE", "285047505612322"} {
		if strings.Contains(msg, secret) {
			t.Errorf("mismatch message %q leaks %q", msg, secret)
		}
	}
	if diffs := Compare(otherDate, camille); len(diffs) != 2 || diffs[0].Trait != "birthName" || diffs[1].Trait != "birthDate" {
		t.Errorf("Compare = %+v, want birthName and birthDate", diffs)
	}
}

func TestCheckDocumentAuthenticatorINS(t *testing.T) {
	d := &docbridge.Document{
		Patient:            camille,
		LegalAuthenticator: &docbridge.Author{ID: "276059205062865", System: "urn:oid:1.2.250.1.213.1.4.8"},
		Authors:            []docbridge.Author{{ID: "801234534765", System: "urn:oid:1.2.250.1.71.4.2.1"}},
	}
	probs := CheckDocument(d, Options{Environment: Test})
	if len(probs) != 1 || probs[0].Code != docbridge.INSInvalid || !strings.Contains(probs[0].Message, "legal authenticator") {
		t.Errorf("CheckDocument = %+v, want one ins-invalid for the legal authenticator", probs)
	}
	d.LegalAuthenticator.ID = "276059205062883"
	if probs := CheckDocument(d, Options{Environment: Test}); len(probs) != 0 {
		t.Errorf("CheckDocument with a valid authenticator INS = %+v, want none", probs)
	}
}
