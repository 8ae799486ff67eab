package admin

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/docbridge/docbridge/internal/operate"
	"github.com/docbridge/docbridge/internal/store"
)

// canReconvert reports whether "Convert again" applies to r: the console
// has a Reconverter and operate.Reconvert applies to r.
func (s *Server) canReconvert(r store.DocRow) bool {
	return s.o.Reconverter != nil && operate.Applies(operate.Reconvert, r)
}

// reconvert converts the input of document row again, as the signed-in
// user (the records' actor), and goes back to the document's page, which
// then names the version that superseded it. A reconversion that gives the
// same outcome is a 409 that says so.
func (s *Server) reconvert(w http.ResponseWriter, r *http.Request, row store.DocRow) {
	if s.o.Reconverter == nil {
		s.fail(w, r, http.StatusConflict, "Convert again is not available: this console runs without the configuration's converters.")
		return
	}
	var ref *operate.RefusedError
	if errors.As(operate.Check(operate.Reconvert, row), &ref) {
		s.fail(w, r, http.StatusConflict, ref.Msg)
		return
	}
	res, err := operate.ReconvertInput(r.Context(), s.o.Reconverter, actor(r), row.InputID)
	switch {
	case errors.Is(err, store.ErrConflict):
		s.fail(w, r, http.StatusConflict, "The document changed while you looked at it: reload its page.")
		return
	case err != nil:
		s.o.Log.Error().Err(err).Int64("doc", row.ID).Int64("input", row.InputID).Msg("console reconversion")
		s.fail(w, r, http.StatusServiceUnavailable, "The input could not be converted again; see the daemon log.")
		return
	case res.Unchanged:
		s.fail(w, r, http.StatusConflict, "Converted again with the same outcome: nothing changed. Fix the cause (the sidecar, a mapping or the source profile), then convert again.")
		return
	}
	s.o.Log.Info().Int64("doc", row.ID).Int64("input", row.InputID).Str("user", current(r).user).Str("action", "reconvert").
		Ints64("superseded", res.Superseded).Msg("console action")
	http.Redirect(w, r, fmt.Sprintf("/documents/%d", row.ID), http.StatusSeeOther)
}
