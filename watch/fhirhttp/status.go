package fhirhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
)

// StatusLookup finds what became of a stored input. cmd/docbridge
// implements it over the store.
type StatusLookup interface {
	// InputStatus returns the input's state and its documents' states. It
	// returns an error wrapping ErrUnknownInput when there is no such
	// input, and blocks on the store, honouring ctx.
	InputStatus(ctx context.Context, id int64) (InputStatus, error)
}

// ErrUnknownInput is wrapped by a StatusLookup for an input it does not
// know.
var ErrUnknownInput = errors.New("fhirhttp: no such input")

// InputStatus is what GET /status/<id> answers, as JSON. It carries no
// patient data: states, reason codes, the messages of docs/architecture.md §3
// (which never quote patient data) and document ids.
type InputStatus struct {
	Input      int64            `json:"input"`
	Intake     string           `json:"-"` // only this intake's inputs are shown
	ReceivedAt time.Time        `json:"receivedAt"`
	State      docbridge.State  `json:"state"`
	Reason     docbridge.Reason `json:"reason,omitempty"`
	Message    string           `json:"message,omitempty"`
	Documents  []DocumentStatus `json:"documents"`
}

// DocumentStatus is the state of one document of an input.
type DocumentStatus struct {
	ID       int64            `json:"id"`
	UniqueID string           `json:"uniqueId"`
	State    docbridge.State  `json:"state"`
	Reason   docbridge.Reason `json:"reason,omitempty"`
	Message  string           `json:"message,omitempty"`
}

// statusPath is the path of an input's status, given in Location and
// Content-Location.
func statusPath(id int64) string { return "/status/" + strconv.FormatInt(id, 10) }

// serveStatus answers GET /status/<id>: the input's status as JSON, or 404
// with an OperationOutcome for an input this intake did not take.
func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, "/status/"), 10, 64)
	if err != nil || id <= 0 {
		fail(w, http.StatusNotFound, "", "not-found", "the status URL is /status/<input id>, with the id a 202 answer gave")
		return
	}
	st, err := s.o.Status.InputStatus(r.Context(), id)
	switch {
	case errors.Is(err, ErrUnknownInput) || (err == nil && st.Intake != s.o.Name):
		fail(w, http.StatusNotFound, "", "not-found", fmt.Sprintf("input %d was not received by this intake", id))
		return
	case err != nil:
		s.o.Log.Error().Err(err).Str("intake", s.o.Name).Int64("input", id).Msg("cannot read an input's status")
		w.Header().Set("Retry-After", "5")
		fail(w, http.StatusServiceUnavailable, docbridge.Internal, "", "the status cannot be read now; try again later")
		return
	}
	if st.Documents == nil {
		st.Documents = []DocumentStatus{}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	b, _ := json.MarshalIndent(st, "", "  ")
	w.Write(append(b, '\n'))
}

// acceptedOutcome is the body of a 202: the input's id, state and status
// URL, then one issue per document with its state and reason.
func acceptedOutcome(acc docbridge.Accepted, st *InputStatus) []Issue {
	msg := fmt.Sprintf("stored as input %d (state %s); follow %s for its documents' states", acc.ID, acc.State, statusPath(acc.ID))
	if acc.Duplicate {
		msg = fmt.Sprintf("already received as input %d (state %s): nothing new was stored; follow %s", acc.ID, acc.State, statusPath(acc.ID))
	}
	issues := []Issue{{Severity: "information", Code: "informational", Diagnostics: msg}}
	if st == nil {
		return issues
	}
	for _, d := range st.Documents {
		sev := "information"
		switch {
		case d.State == docbridge.Failed:
			sev = "error"
		case d.Reason != "":
			sev = "warning"
		}
		text := fmt.Sprintf("document %d (%s): %s", d.ID, d.UniqueID, d.State)
		if d.Message != "" {
			text += ": " + d.Message
		}
		issues = append(issues, reasonIssue(sev, d.Reason, text))
	}
	return issues
}
