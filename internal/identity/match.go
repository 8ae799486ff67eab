package identity

import (
	"context"
	"fmt"
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/traits"
)

// Diff is one strict trait that differs between a document and a pairing.
// It holds patient data: show it to an authorised person, never log it.
type Diff struct {
	Trait    string `json:"trait"`
	Document string `json:"document"`
	Paired   string `json:"paired"`
}

// Compare returns the strict traits (and INS) on which doc and paired differ
// after normalisation (traits.Compare), in a fixed order. An empty result
// is an exact match.
func Compare(doc, paired docbridge.Patient) []Diff {
	var out []Diff
	for _, d := range traits.Compare(doc, paired) {
		out = append(out, Diff{Trait: d.Trait, Document: d.A, Paired: d.B})
	}
	return out
}

// Pairings finds the pairings, live and revoked, that claim an INS.
// *store.Store implements it.
type Pairings interface {
	PairingsByINS(ctx context.Context, ins string) ([]docbridge.Pairing, error)
}

// Matcher matches documents to pairings.
type Matcher struct {
	Pairings Pairings
	// Decisions, when not nil, holds the identity-vigilance decisions
	// people made: a mismatch whose exact diff a person confirmed for the
	// same pairing is accepted (see Confirmation).
	Decisions Decisions
}

// livePairing returns the one live pairing claiming ins. Errors are
// *docbridge.Error: NotPaired when none ever did, PairingRevoked when only
// revoked ones do (the patient ended the pairing), PairingConflict when
// several live ones do (a person must revoke the wrong one: nothing is
// guessed); other errors come from the lookup.
func livePairing(ctx context.Context, ps Pairings, ins string) (docbridge.Pairing, error) {
	all, err := ps.PairingsByINS(ctx, ins)
	if err != nil {
		return docbridge.Pairing{}, fmt.Errorf("find pairings by INS: %w", err)
	}
	var live []docbridge.Pairing
	for _, p := range all {
		if !p.Revoked {
			live = append(live, p)
		}
	}
	switch {
	case len(live) == 1:
		return live[0], nil
	case len(live) > 1:
		ids := make([]string, len(live))
		for i, p := range live {
			ids[i] = p.ID
		}
		return docbridge.Pairing{}, docbridge.Errorf(docbridge.PairingConflict,
			"live pairings %s all claim this document's INS: revoke the wrong one (docbridge pair revoke), then confirm the review", strings.Join(ids, ", "))
	case len(all) > 0:
		return docbridge.Pairing{}, docbridge.Errorf(docbridge.PairingRevoked,
			"the patient's pairing %s is revoked: the document waits until the patient pairs their MES account again", all[len(all)-1].ID)
	}
	return docbridge.Pairing{}, docbridge.Errorf(docbridge.NotPaired, "no pairing for this patient yet: the document waits until the patient pairs their MES account")
}

// Match returns the pairing a document may be delivered to. Errors are
// *docbridge.Error: first what no decision can settle, whatever review the
// document comes from — MissingINS, INSInvalid (the value's length or check
// key; see Incomplete), MissingTrait (naming the missing traits, never
// values) — then NotPaired, PairingRevoked or PairingConflict (see
// livePairing), IdentityMismatch (naming the differing traits, not their
// values) when the traits differ and no recorded Confirmation accepts this
// exact diff for this pairing; other errors come from the pairing or
// decision lookup.
func (m *Matcher) Match(ctx context.Context, d *docbridge.Document) (docbridge.Pairing, error) {
	if err := Incomplete(d.Patient); err != nil {
		return docbridge.Pairing{}, err
	}
	p, err := livePairing(ctx, m.Pairings, d.Patient.INS)
	if err != nil {
		if docbridge.ReasonOf(err) == docbridge.Internal {
			return docbridge.Pairing{}, fmt.Errorf("match document %s: %w", d.UniqueID, err)
		}
		return docbridge.Pairing{}, err
	}
	if diffs := Compare(d.Patient, p.Patient); len(diffs) > 0 {
		if ok, err := m.confirmed(ctx, d, p); err != nil || ok {
			if err != nil {
				return docbridge.Pairing{}, err
			}
			return p, nil
		}
		traits := make([]string, len(diffs))
		for i, df := range diffs {
			traits[i] = df.Trait
		}
		return docbridge.Pairing{}, docbridge.Errorf(docbridge.IdentityMismatch,
			"the document's identity differs from the paired identity on %s: an identity-vigilance review is needed", strings.Join(traits, ", "))
	}
	return p, nil
}
