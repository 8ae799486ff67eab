package admin

import (
	"net/http"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/operate"
	"github.com/docbridge/docbridge/internal/store"
)

// documentPage shows one document: its normalised metadata, its history,
// and the actions its state allows (with the trait diff of an identity
// review, and the other versions side by side in a version-conflict
// review).
func (s *Server) documentPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	row, ok := s.documentOf(w, r)
	if !ok {
		return
	}
	id := row.ID
	history, err := s.o.Store.History(ctx, id)
	var in store.Input
	if err == nil {
		in, err = s.o.Store.Input(ctx, row.InputID)
	}
	var rv review
	if err == nil && row.State == docbridge.Review && row.Doc.Patient.INS != "" {
		rv, err = s.reviewOf(ctx, row)
	}
	var versions []store.OtherVersion
	if err == nil && row.Reason == docbridge.VersionConflict {
		versions, err = s.o.Store.OtherVersions(ctx, row)
	}
	if err != nil {
		s.o.Log.Error().Err(err).Int64("doc", id).Msg("console document page")
		s.fail(w, r, http.StatusServiceUnavailable, "The store does not answer; see the daemon log.")
		return
	}
	s.render(w, r, http.StatusOK, "document", map[string]any{
		"Row":          row,
		"Doc":          row.Doc,
		"Intake":       in.Intake,
		"History":      history,
		"Review":       rv,
		"Identity":     row.Reason == docbridge.IdentityMismatch,
		"Versions":     versions,
		"CanRetry":     operate.Applies(operate.Retry, row),
		"CanRelease":   operate.Applies(operate.Release, row),
		"CanReconvert": s.canReconvert(row),
		"CanDecide":    row.State == docbridge.Review,
		"CanConfirm":   operate.Applies(operate.Confirm, row) && (!needsOnePairing[row.Reason] || rv.Paired),
		"Conflict":     row.Reason == docbridge.PairingConflict && !rv.Paired,
		"Operator":     current(r).role.may(Operator),
	})
}

// needsOnePairing are the review reasons whose confirmation can succeed
// only when one live pairing claims the document's INS: an identity
// mismatch is confirmed against that pairing, and a pairing conflict that
// no one resolved (by revoking the wrong pairing) comes back to review.
var needsOnePairing = map[docbridge.Reason]bool{docbridge.IdentityMismatch: true, docbridge.PairingConflict: true}

// pairingList lists the pairings: ids, the MES patient id, the end of the
// INS (enough to tell two apart), state and age. No other trait is shown.
func (s *Server) pairingList(w http.ResponseWriter, r *http.Request) {
	ps, err := s.o.Store.Pairings(r.Context())
	if err != nil {
		s.o.Log.Error().Err(err).Msg("console pairings")
		s.fail(w, r, http.StatusServiceUnavailable, "The store does not answer; see the daemon log.")
		return
	}
	type line struct {
		ID, MESPatient, INSEnd string
		Scopes                 []string // what the patient granted (documents when none recorded)
		Revoked                bool
		Created                time.Time
	}
	out := make([]line, len(ps))
	for i, p := range ps {
		out[i] = line{ID: p.ID, MESPatient: p.MESPatient, INSEnd: insEnd(p.Patient.INS), Scopes: p.Scopes, Revoked: p.Revoked, Created: p.CreatedAt}
		if len(p.Scopes) == 0 {
			out[i].Scopes = []string{docbridge.ScopeDocuments}
		}
	}
	s.render(w, r, http.StatusOK, "pairings", out)
}

// insEnd masks all but the last four characters of an INS.
func insEnd(ins string) string {
	if len(ins) <= 4 {
		return ins
	}
	return "…" + ins[len(ins)-4:]
}
