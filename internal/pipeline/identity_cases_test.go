package pipeline

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/mes/messim"
)

// The identity table (issue 3): each case runs one document through the
// real pipeline — store, identity checks and matcher, MES client — against
// the strict simulator, and checks the state and reason it ends in. The
// expected outcomes follow docs/architecture.md §8:
//
//   - an INS with a wrong length, check key or OID fails (ins-invalid), a
//     test or demo OID in production fails (ins-test-oid);
//   - a missing INS or trait, or an identity status other than QUAL
//     (VALI only when accepted), goes to review;
//   - traits are compared after normalisation for comparison only: case,
//     accents, spaces, apostrophes and hyphens do not count, so an
//     accent-only or hyphen-vs-space difference is the same identity and is
//     delivered; anything else — one letter, swapped or missing first
//     names, a letter ligature, a dropped apostrophe that joins two words —
//     is a doubt and goes to review (identity-mismatch), never guessed;
//   - no pairing holds the document (not-paired), only a revoked one holds
//     it with pairing-revoked, two live pairings claiming the INS are a
//     doubt (review, pairing-conflict);
//   - a pairing whose MES token belongs to another patient is refused by
//     MES (mes-rejected): the simulator never files it.
//
// Every case not expected to be delivered also checks that the simulator
// received nothing.

const (
	oidNIR  = "urn:oid:1.2.250.1.213.1.4.8"
	oidNIA  = "urn:oid:1.2.250.1.213.1.4.9"
	oidTest = "urn:oid:1.2.250.1.213.1.4.10"
	oidDemo = "urn:oid:1.2.250.1.213.1.4.11"
)

// idCase is one identity case. pairings are the paired identities
// (revoked ones prefixed by revoked), doc the document's identity.
type idCase struct {
	name       string
	env        identity.Environment
	acceptVALI bool
	doc        docbridge.Patient
	pairings   []docbridge.Patient
	revoked    []docbridge.Patient
	wrongToken bool // the pairing's token is another patient's at MES
	state      docbridge.State
	reason     docbridge.Reason
}

func with(p docbridge.Patient, f func(*docbridge.Patient)) docbridge.Patient {
	p.FirstNames = append([]string(nil), p.FirstNames...)
	f(&p)
	return p
}

func identityCases() []idCase {
	base := patient // DOCBRIDGE-TEST CAMILLE MARIE-ANNE, test OID
	one := func(p docbridge.Patient) []docbridge.Patient { return []docbridge.Patient{p} }
	paired := one(base)
	ok := func(name string, doc docbridge.Patient, pairs []docbridge.Patient) idCase {
		return idCase{name: name, env: identity.Test, doc: doc, pairings: pairs, state: docbridge.Delivered}
	}
	stop := func(name string, doc docbridge.Patient, pairs []docbridge.Patient, reason docbridge.Reason) idCase {
		return idCase{name: name, env: identity.Test, doc: doc, pairings: pairs, state: reason.State(), reason: reason}
	}
	prod := func(c idCase) idCase { c.env = identity.Production; return c }
	nir := with(base, func(p *docbridge.Patient) { p.INSSystem = oidNIR })
	compound := with(base, func(p *docbridge.Patient) { p.BirthName = "N'DIAYE-LEFÈVRE" })
	corse2A := with(base, func(p *docbridge.Patient) { p.INS, p.BirthPlace = "185042A01212391", "2A004" })
	corse2B := with(base, func(p *docbridge.Patient) { p.INS, p.BirthPlace = "278052B00401202", "2B033" })
	other := with(base, func(p *docbridge.Patient) {
		p.INS, p.BirthName, p.FirstNames, p.BirthDate, p.Sex = "279035121518989", "AUTRE", []string{"PAUL"}, "1979-03-28", "M"
	})

	return []idCase{
		// Exact and normalised matches: delivered.
		ok("exact", base, paired),
		ok("lower case", with(base, func(p *docbridge.Patient) {
			p.BirthName, p.FirstNames = "docbridge-test", []string{"camille", "marie-anne"}
		}), paired),
		ok("accent-only difference in the birth name", with(base, func(p *docbridge.Patient) { p.BirthName = "DÔCBRIDGE-TÉST" }), paired),
		ok("accent-only difference in a first name", with(base, func(p *docbridge.Patient) { p.FirstNames[0] = "Camillé" }), paired),
		ok("hyphen read as a space", with(base, func(p *docbridge.Patient) { p.BirthName = "DOCBRIDGE TEST" }), paired),
		ok("extra spaces", with(base, func(p *docbridge.Patient) { p.BirthName = "  DOCBRIDGE   TEST " }), paired),
		ok("first names in one field", with(base, func(p *docbridge.Patient) { p.FirstNames = []string{"CAMILLE MARIE ANNE"} }), paired),
		ok("compound name with hyphen and apostrophe, written with spaces", with(compound, func(p *docbridge.Patient) { p.BirthName = "N DIAYE LEFEVRE" }), one(compound)),
		ok("typographic apostrophe", with(compound, func(p *docbridge.Patient) { p.BirthName = "N’DIAYE-LEFÈVRE" }), one(compound)),
		ok("explicit QUAL status", with(base, func(p *docbridge.Patient) { p.IdentityStatus = "QUAL" }), paired),
		{name: "VALI accepted when configured", env: identity.Test, acceptVALI: true, doc: with(base, func(p *docbridge.Patient) { p.IdentityStatus = "VALI" }), pairings: paired, state: docbridge.Delivered},
		ok("Corsica 2A INS and birthplace", corse2A, one(corse2A)),
		ok("Corsica 2B INS and birthplace", corse2B, one(corse2B)),
		ok("NIA OID", with(base, func(p *docbridge.Patient) { p.INSSystem = oidNIA }), one(with(base, func(p *docbridge.Patient) { p.INSSystem = oidNIA }))),
		ok("OID written without urn:oid:", with(base, func(p *docbridge.Patient) { p.INSSystem = "1.2.250.1.213.1.4.10" }), paired),
		ok("demo OID in test", with(base, func(p *docbridge.Patient) { p.INSSystem = oidDemo }), one(with(base, func(p *docbridge.Patient) { p.INSSystem = oidDemo }))),
		prod(ok("NIR OID in production", nir, one(nir))),
		{name: "one live and one revoked pairing", env: identity.Test, doc: base, pairings: paired, revoked: paired, state: docbridge.Delivered},

		// INS itself wrong: failed.
		stop("wrong check key", with(base, func(p *docbridge.Patient) { p.INS = "285047505612399" }), paired, docbridge.INSInvalid),
		stop("INS too short", with(base, func(p *docbridge.Patient) { p.INS = "28504750561232" }), paired, docbridge.INSInvalid),
		stop("INS with a letter", with(base, func(p *docbridge.Patient) { p.INS = "28504750561232X" }), paired, docbridge.INSInvalid),
		stop("Corsica 2A wrong key", with(corse2A, func(p *docbridge.Patient) { p.INS = "185042A01212397" }), one(corse2A), docbridge.INSInvalid),
		stop("legacy INS-C OID", with(base, func(p *docbridge.Patient) { p.INSSystem = "urn:oid:1.2.250.1.213.1.4.2" }), paired, docbridge.INSInvalid),
		stop("no INS system", with(base, func(p *docbridge.Patient) { p.INSSystem = "" }), paired, docbridge.INSInvalid),
		prod(stop("test OID in production", base, paired, docbridge.INSTestOID)),
		prod(stop("demo OID in production", with(base, func(p *docbridge.Patient) { p.INSSystem = oidDemo }), paired, docbridge.INSTestOID)),

		// Something missing or unqualified: review.
		stop("no INS", with(base, func(p *docbridge.Patient) { p.INS = "" }), paired, docbridge.MissingINS),
		stop("birth name missing", with(base, func(p *docbridge.Patient) { p.BirthName = "" }), paired, docbridge.MissingTrait),
		stop("birth name only punctuation", with(base, func(p *docbridge.Patient) { p.BirthName = " - ' " }), paired, docbridge.MissingTrait),
		stop("first names missing", with(base, func(p *docbridge.Patient) { p.FirstNames = nil }), paired, docbridge.MissingTrait),
		stop("first names blank", with(base, func(p *docbridge.Patient) { p.FirstNames = []string{" "} }), paired, docbridge.MissingTrait),
		stop("birth date missing", with(base, func(p *docbridge.Patient) { p.BirthDate = "" }), paired, docbridge.MissingTrait),
		stop("sex missing", with(base, func(p *docbridge.Patient) { p.Sex = "" }), paired, docbridge.MissingTrait),
		stop("birthplace missing", with(base, func(p *docbridge.Patient) { p.BirthPlace = "" }), paired, docbridge.MissingTrait),
		stop("VALI refused by default", with(base, func(p *docbridge.Patient) { p.IdentityStatus = "VALI" }), paired, docbridge.IdentityUnqualified),
		stop("provisional identity", with(base, func(p *docbridge.Patient) { p.IdentityStatus = "PROV" }), paired, docbridge.IdentityUnqualified),
		stop("doubtful identity", with(base, func(p *docbridge.Patient) { p.IdentityStatus = "DPOU" }), paired, docbridge.IdentityUnqualified),

		// A doubt against the pairing: review with a diff.
		stop("one letter off in the birth name", with(base, func(p *docbridge.Patient) { p.BirthName = "DOCBRIDGE-TESR" }), paired, docbridge.IdentityMismatch),
		stop("one letter off in a first name", with(base, func(p *docbridge.Patient) { p.FirstNames[0] = "CAMILE" }), paired, docbridge.IdentityMismatch),
		stop("swapped first names", with(base, func(p *docbridge.Patient) { p.FirstNames = []string{"MARIE-ANNE", "CAMILLE"} }), paired, docbridge.IdentityMismatch),
		stop("only the first first name", with(base, func(p *docbridge.Patient) { p.FirstNames = []string{"CAMILLE"} }), paired, docbridge.IdentityMismatch),
		stop("compound name missing a part", with(compound, func(p *docbridge.Patient) { p.BirthName = "LEFÈVRE" }), one(compound), docbridge.IdentityMismatch),
		stop("apostrophe dropped, words joined", with(compound, func(p *docbridge.Patient) { p.BirthName = "NDIAYE-LEFÈVRE" }), one(compound), docbridge.IdentityMismatch),
		stop("ligature is not two letters", with(base, func(p *docbridge.Patient) { p.BirthName = "ŒUVRE" }), one(with(base, func(p *docbridge.Patient) { p.BirthName = "OEUVRE" })), docbridge.IdentityMismatch),
		stop("birth date one day off", with(base, func(p *docbridge.Patient) { p.BirthDate = "1985-04-18" }), paired, docbridge.IdentityMismatch),
		stop("birth day and month swapped", with(base, func(p *docbridge.Patient) { p.BirthDate = "1985-17-04" }), paired, docbridge.IdentityMismatch),
		stop("sex differs", with(base, func(p *docbridge.Patient) { p.Sex = "M" }), paired, docbridge.IdentityMismatch),
		stop("sex unknown", with(base, func(p *docbridge.Patient) { p.Sex = "U" }), paired, docbridge.IdentityMismatch),
		stop("birthplace differs", with(base, func(p *docbridge.Patient) { p.BirthPlace = "75120" }), paired, docbridge.IdentityMismatch),
		stop("same INS under another OID", with(base, func(p *docbridge.Patient) { p.INSSystem = oidNIA }), paired, docbridge.IdentityMismatch),
		stop("the pairing's INS with another patient's traits", with(other, func(p *docbridge.Patient) { p.INS = base.INS }), paired, docbridge.IdentityMismatch),

		// Pairing state.
		stop("not paired", other, paired, docbridge.NotPaired),
		stop("two live pairings claim the INS", base, []docbridge.Patient{base, base}, docbridge.PairingConflict),
		stop("two live pairings claim the INS with different traits", base, []docbridge.Patient{base, with(base, func(p *docbridge.Patient) { p.BirthDate = "1990-01-01" })}, docbridge.PairingConflict),
		{name: "only a revoked pairing", env: identity.Test, doc: base, revoked: paired, state: docbridge.Held, reason: docbridge.PairingRevoked},
		{name: "the pairing's token is another patient's at MES", env: identity.Test, doc: base, pairings: paired, wrongToken: true, state: docbridge.Failed, reason: docbridge.MESRejected},
	}
}

func TestIdentityCasesThroughThePipeline(t *testing.T) {
	cases := identityCases()
	if len(cases) < 40 {
		t.Fatalf("%d identity cases, want at least 40", len(cases))
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, sent := runIdentityCase(t, i, tc)
			wantState(t, got, tc.state, tc.reason)
			if tc.state != docbridge.Delivered && sent != 0 {
				t.Errorf("the simulator received %d document(s) for a case that must not be delivered", sent)
			}
			if tc.state == docbridge.Delivered && sent != 1 {
				t.Errorf("the simulator received %d document(s), want 1", sent)
			}
		})
	}
}

// runIdentityCase runs one case and returns the document's row and how
// many documents the simulator filed.
func runIdentityCase(t *testing.T, i int, tc idCase) (store.DocRow, int) {
	ctx := context.Background()
	sim, srv := messim.NewTestServer(t, messim.Options{})
	st, err := store.Open(ctx, store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	put := func(n int, p docbridge.Patient, revoked bool) {
		mesID := fmt.Sprintf("mes-%d", n)
		ins, sys := p.INS, p.INSSystem
		if tc.wrongToken {
			ins = "279035121518989" // the token's patient is someone else
		}
		pr := docbridge.Pairing{ID: fmt.Sprintf("p%d", n), MESPatient: mesID, Patient: p,
			AccessToken: sim.AddPatient(mesID, ins, sys), Revoked: revoked, CreatedAt: t0.Add(time.Duration(n) * time.Hour)}
		if err := st.PutPairing(ctx, pr); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, p := range tc.revoked {
		n++
		put(n, p, true)
	}
	for _, p := range tc.pairings {
		n++
		put(n, p, false)
	}
	uid := fmt.Sprintf("urn:oid:1.2.250.1.999.%d", i+1)
	convert := func(raw []byte) (docbridge.Format, []*docbridge.Document, error) {
		return docbridge.FormatCDA, []*docbridge.Document{caseDoc(uid, raw, tc.doc)}, nil
	}
	io := identity.Options{Environment: tc.env, AcceptVALI: tc.acceptVALI}
	f := &fixture{st: st, now: time.Now()}
	f.p = New(Options{
		Store: st, Converter: ConverterFunc(convert),
		Checker: func(d *docbridge.Document) []docbridge.Problem { return identity.CheckDocument(d, io) },
		Matcher: &identity.Matcher{Pairings: st},
		Sender:  mes.NewClient(mes.Options{BaseURL: srv.URL, HTTPClient: srv.Client()}),
		Log:     zerolog.Nop(),
	})
	f.accept(t, "%PDF-1.4 case "+uid)
	f.settle(t)
	return f.doc(t, uid), sim.Count()
}

// caseDoc is a complete document for patient p around content raw.
func caseDoc(uid string, raw []byte, p docbridge.Patient) *docbridge.Document {
	s1, s256 := sha1.Sum(raw), sha256.Sum256(raw)
	return &docbridge.Document{
		UniqueID: uid, Action: docbridge.Create,
		Type:            docbridge.Coding{System: "http://loinc.org", Code: "11502-2", Display: "CR d'examens biologiques"},
		Class:           docbridge.Coding{System: "urn:oid:1.2.250.1.213.1.1.4.1", Code: "10", Display: "Compte rendu"},
		Title:           "Compte rendu d'examens biologiques",
		Creation:        "2021-04-01T13:47:45+01:00",
		Language:        "fr-FR",
		Confidentiality: "N",
		ContentType:     "application/pdf",
		Format:          "urn:ihe:iti:xds-sd:pdf:2008",
		Size:            int64(len(raw)), SHA1: hex.EncodeToString(s1[:]), SHA256: hex.EncodeToString(s256[:]),
		FacilityType:    docbridge.Coding{System: "urn:oid:1.2.250.1.71.4.2.4", Code: "SA07", Display: "Cabinet individuel"},
		PracticeSetting: docbridge.Coding{System: "urn:oid:1.2.250.1.213.1.1.4.9", Code: "AMBULATOIRE", Display: "Ambulatoire"},
		ServiceStart:    "2021-01-04T13:47:00+01:00",
		ServiceStop:     "2021-01-04T13:55:00+01:00",
		Patient:         p,
		Authors: []docbridge.Author{{
			ID: "801234534765", System: "urn:oid:1.2.250.1.71.4.2.1", Name: "Dr Biologiste Test",
			Organization: &docbridge.Organization{ID: "1120459876", System: "urn:oid:1.2.250.1.71.4.2.2", Name: "Laboratoire des charmes"},
		}},
		LegalAuthenticator: &docbridge.Author{ID: "807505123456", System: "urn:oid:1.2.250.1.71.4.2.1", Name: "Dr Signataire Test"},
		Custodian:          &docbridge.Organization{ID: "1120459876", System: "urn:oid:1.2.250.1.71.4.2.2", Name: "Laboratoire des charmes"},
		Content:            raw,
	}
}
