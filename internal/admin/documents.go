package admin

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// listLimit is the size of a page of the document list.
const listLimit = 100

// listQuery is the document list's filter, as the form sends it.
type listQuery struct {
	State, Reason, Intake string
	Since, Until          string // YYYY-MM-DD, in UTC
	KeyKind               string // "ins" or "local"
	Key                   string // the INS or local id searched for
	Before                string // the page after the document with this id ("": the first page)
}

// parseListQuery reads the filter from the query string; it returns the
// store search and a problem a person can fix, if any.
func parseListQuery(v url.Values) (listQuery, store.Filter, string) {
	q := listQuery{
		State: v.Get("state"), Reason: v.Get("reason"), Intake: v.Get("intake"),
		Since: v.Get("since"), Until: v.Get("until"), KeyKind: v.Get("kind"), Key: strings.TrimSpace(v.Get("key")),
		Before: v.Get("before"),
	}
	se := store.Filter{State: docbridge.State(q.State), Reason: docbridge.Reason(q.Reason), Intake: q.Intake, Newest: true, Limit: listLimit}
	if q.Before != "" {
		id, err := strconv.ParseInt(q.Before, 10, 64)
		if err != nil || id <= 0 {
			return q, se, "The page is given by a document id: follow the list's \"Older documents\" link."
		}
		se.Before = id
	}
	for _, d := range []struct {
		s   string
		t   *time.Time
		add time.Duration
	}{{q.Since, &se.Since, 0}, {q.Until, &se.Until, 24 * time.Hour}} {
		if d.s == "" {
			continue
		}
		t, err := time.Parse("2006-01-02", d.s)
		if err != nil {
			return q, se, "Dates are YYYY-MM-DD."
		}
		*d.t = t.Add(d.add)
	}
	if q.Key != "" {
		if q.KeyKind != "ins" && q.KeyKind != "local" {
			return q, se, "Say whether the patient key is an INS or a local id."
		}
		se.Limit, se.Before = 0, 0 // the key is matched here, over every document the other filters select
	}
	return q, se, ""
}

// nextPage returns the address of the page after rows (the next
// documents, older than the last of rows), or "" when rows is not a full
// page or the list was a search by patient key (which is one page).
func nextPage(q listQuery, rows []store.DocRow) string {
	if len(rows) < listLimit || q.Key != "" {
		return ""
	}
	v := url.Values{}
	for k, s := range map[string]string{"state": q.State, "reason": q.Reason, "intake": q.Intake, "since": q.Since, "until": q.Until} {
		if s != "" {
			v.Set(k, s)
		}
	}
	v.Set("before", strconv.FormatInt(rows[len(rows)-1].ID, 10))
	return "/documents?" + v.Encode()
}

// matchesKey reports whether the document's patient has the key.
func matchesKey(d *docbridge.Document, kind, key string) bool {
	if kind == "ins" {
		return d.Patient.INS == key
	}
	for _, id := range d.Patient.LocalIDs {
		if id.Value == key {
			return true
		}
	}
	return false
}

// documentList lists documents by state, reason, intake, creation date
// and patient key, newest first, a page of listLimit at a time (the next
// page is the documents older than the last one shown: keyset pagination,
// store.Filter.Before). The filters come from the query string (GET, for links)
// or from the form (POST, CSRF-checked by authed); a patient key is taken
// only from a POST, so that it never sits in a URL, a browser's history or
// an access log, and a GET that carries one is answered with a problem and
// no search. A search by patient key is audited (who, when, which kind of
// key; never the key) before it runs, and refused if it cannot be.
func (s *Server) documentList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := r.URL.Query()
	keyInURL := v.Get("key") != ""
	v.Del("key")
	if r.Method == http.MethodPost {
		v, keyInURL = r.PostForm, false
	}
	q, se, problem := parseListQuery(v)
	var rows []store.DocRow
	if problem == "" {
		if q.Key != "" {
			if err := s.o.Audit(ctx, actor(r), 0, "console document search by patient "+q.KeyKind); err != nil {
				s.o.Log.Error().Err(err).Msg("audit of a patient search failed; search refused")
				s.fail(w, r, http.StatusServiceUnavailable, "The search could not be audited, so it was not run.")
				return
			}
		}
		all, err := s.o.Store.Documents(ctx, se)
		if err != nil {
			s.o.Log.Error().Err(err).Msg("console document list")
			s.fail(w, r, http.StatusServiceUnavailable, "The store does not answer; see the daemon log.")
			return
		}
		for _, d := range all {
			if q.Key == "" || matchesKey(d.Doc, q.KeyKind, q.Key) {
				rows = append(rows, d)
			}
			if len(rows) == listLimit {
				break
			}
		}
	}
	if keyInURL && problem == "" {
		problem = "The patient key in the address was ignored: search by patient with the form below, which keeps the key out of addresses and logs."
	}
	intakes, err := s.o.Store.Intakes(ctx)
	if err != nil {
		s.o.Log.Error().Err(err).Msg("console document list")
	}
	s.render(w, r, http.StatusOK, "documents", map[string]any{
		"Query": q, "Rows": rows, "Problem": problem, "Limit": listLimit, "Next": nextPage(q, rows),
		"Full":   q.Key != "" && len(rows) == listLimit,
		"States": allStates, "Reasons": reasonNames(), "Intakes": intakes,
	})
}

// reasonNames returns the reason vocabulary, sorted.
func reasonNames() []string {
	var out []string
	for _, r := range docbridge.Reasons() {
		out = append(out, string(r))
	}
	slices.Sort(out)
	return out
}
