package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/internal/operate"
	"github.com/docbridge/docbridge/internal/store"
)

// review is what a person deciding an identity review is shown (shared
// with `docbridge queue review`).
type review = identity.Candidate

// reviewOf finds the candidate pairing of an identity review by INS and
// compares the traits.
func (s *Server) reviewOf(ctx context.Context, r store.DocRow) (review, error) {
	return identity.CandidateFor(ctx, s.o.Store, r.Doc)
}

// act applies an action to a document and goes back to its page. Refusals
// are 409 with the reason; a document that changed meanwhile is 409 too.
func (s *Server) act(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	row, ok := s.documentOf(w, r)
	if !ok {
		return
	}
	id := row.ID
	action := operate.Action(r.PathValue("action"))
	if action == operate.Reconvert {
		s.reconvert(w, r, row)
		return
	}
	req := operate.Request{Action: action, Actor: actor(r), Note: r.PostFormValue("note"), Seen: r.PostFormValue("fingerprint")}
	t, err := operate.Do(ctx, s.o.Store, row, req)
	var ref *operate.RefusedError
	switch {
	case errors.As(err, &ref):
		s.fail(w, r, http.StatusConflict, ref.Msg)
		return
	case errors.Is(err, store.ErrConflict):
		s.fail(w, r, http.StatusConflict, "The document changed while you looked at it: reload its page.")
		return
	case err != nil:
		s.o.Log.Error().Err(err).Int64("doc", id).Msg("console action")
		s.fail(w, r, http.StatusServiceUnavailable, "The action could not be recorded; see the daemon log.")
		return
	}
	s.o.Log.Info().Int64("doc", id).Str("user", current(r).user).Str("action", string(action)).Str("state", string(t.To)).Msg("console action")
	http.Redirect(w, r, fmt.Sprintf("/documents/%d", id), http.StatusSeeOther)
}

// documentOf reads the document named by the request's {id}. When there is
// none, or the store does not answer, it has written the error page and
// returns false.
func (s *Server) documentOf(w http.ResponseWriter, r *http.Request) (store.DocRow, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, http.StatusNotFound, "No such document.")
		return store.DocRow{}, false
	}
	row, err := s.o.Store.Document(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, "No such document.")
		return store.DocRow{}, false
	case err != nil:
		s.o.Log.Error().Err(err).Int64("doc", id).Msg("console: read a document")
		s.fail(w, r, http.StatusServiceUnavailable, "The store does not answer; see the daemon log.")
		return store.DocRow{}, false
	}
	return row, true
}
