package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/internal/store"
)

// canRetry reports whether retry applies to r (docbridge.CanRetry, the
// rule `docbridge queue retry` applies too).
func canRetry(r store.DocRow) bool { return docbridge.CanRetry(r.State, r.Reason) }

// canRelease reports whether release applies to r.
func canRelease(r store.DocRow) bool { return r.State == docbridge.Held }

// canConfirm reports whether a review of r may be confirmed at all.
func canConfirm(r store.DocRow) bool { return identity.CanConfirm(r.State, r.Reason, r.Doc) }

// review is what a person deciding an identity review is shown (shared
// with `docbridge queue review`).
type review = identity.Candidate

// reviewOf finds the candidate pairing of an identity review by INS and
// compares the traits.
func (s *Server) reviewOf(ctx context.Context, r store.DocRow) (review, error) {
	return identity.CandidateFor(ctx, s.o.Store, r.Doc)
}

// errRefused is an action that does not apply; its text is for the person.
type errRefused struct{ msg string }

func (e *errRefused) Error() string { return e.msg }

func refused(format string, args ...any) error { return &errRefused{fmt.Sprintf(format, args...)} }

// plan returns the transition that action makes of document r, or an
// *errRefused saying why it does not apply. note is the person's reason.
func (s *Server) plan(ctx context.Context, r store.DocRow, action, note, seen string) (store.Transition, error) {
	t := store.Transition{ID: r.ID, From: r.State}
	switch action {
	case "retry":
		if !canRetry(r) {
			return t, refused("Retry applies to documents failed or held for a delivery reason (mes-unavailable, mes-rejected, internal, pairing-expired).")
		}
		t.To = docbridge.Converted
		if r.PairingID != "" && r.Reason != docbridge.MESRejected && r.Reason != docbridge.PairingExpired {
			t.To = docbridge.Matched // delivered again at once; deliver re-checks the pairing
		}
		t.Message = orDefault(note, "retry requested in the console")
	case "release":
		if !canRelease(r) {
			return t, refused("Release applies to held documents.")
		}
		t.To, t.Message = docbridge.Converted, orDefault(note, "released in the console")
	case "confirm", "reject", "aside":
		out, err := identity.Decide(ctx, s.o.Store, r.State, r.Reason, r.Doc, identity.Action(action), note, seen)
		var ref *identity.RefusedError
		if errors.As(err, &ref) {
			return t, refused("%s", ref.Msg)
		}
		if err != nil {
			return t, err
		}
		t.To, t.Reason, t.Message = out.To, out.Reason, out.Message
	default:
		return t, refused("Unknown action %q.", action)
	}
	return t, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
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
	action := r.PathValue("action")
	if action == "reconvert" {
		s.reconvert(w, r, row)
		return
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	t, err := s.plan(ctx, row, action, note, r.PostFormValue("fingerprint"))
	var ref *errRefused
	if errors.As(err, &ref) {
		s.fail(w, r, http.StatusConflict, ref.msg)
		return
	}
	if err != nil {
		s.o.Log.Error().Err(err).Int64("doc", id).Msg("console action")
		s.fail(w, r, http.StatusServiceUnavailable, "The action could not be prepared; see the daemon log.")
		return
	}
	t.Actor = actor(r)
	switch err := s.o.Store.Transition(ctx, t); {
	case err == store.ErrConflict:
		s.fail(w, r, http.StatusConflict, "The document changed while you looked at it: reload its page.")
		return
	case err != nil:
		s.o.Log.Error().Err(err).Int64("doc", id).Msg("console action")
		s.fail(w, r, http.StatusServiceUnavailable, "The action could not be recorded; see the daemon log.")
		return
	}
	s.o.Log.Info().Int64("doc", id).Str("user", current(r).user).Str("action", action).Str("state", string(t.To)).Msg("console action")
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
