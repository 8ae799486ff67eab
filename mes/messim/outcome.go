package messim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// problem is one refusal, answered as an OperationOutcome. Its texts name
// elements and codes, never values sent for the patient.
type problem struct {
	status int
	code   string // FHIR IssueType: required, value, structure, forbidden, …
	diag   string
	expr   string // FHIRPath of the element at fault, if any
	more   []*problem
}

func (p *problem) Error() string { return fmt.Sprintf("%d %s: %s", p.status, p.code, p.diag) }

// invalid returns a 422 problem at expr.
func invalid(code, expr, format string, args ...any) *problem {
	return &problem{status: http.StatusUnprocessableEntity, code: code, expr: expr, diag: fmt.Sprintf(format, args...)}
}

type ooIssue struct {
	Severity    string   `json:"severity"`
	Code        string   `json:"code"`
	Diagnostics string   `json:"diagnostics,omitempty"`
	Expression  []string `json:"expression,omitempty"`
}

type operationOutcome struct {
	ResourceType string    `json:"resourceType"`
	Issue        []ooIssue `json:"issue"`
}

func (p *problem) outcome() operationOutcome {
	oo := operationOutcome{ResourceType: "OperationOutcome"}
	for _, q := range append([]*problem{p}, p.more...) {
		is := ooIssue{Severity: "error", Code: q.code, Diagnostics: q.diag}
		if q.expr != "" {
			is.Expression = []string{q.expr}
		}
		oo.Issue = append(oo.Issue, is)
	}
	return oo
}

// fail answers p. The rest of the request body is read first (up to the
// body limit) so that a client still writing a big body gets the answer
// rather than a reset connection.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, p *problem) {
	if r.Body != nil {
		io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, s.o.MaxBodyBytes))
	}
	if p.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	writeJSON(w, p.status, p.outcome())
}

// writeJSON answers v as application/fhir+json.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/fhir+json")
	w.WriteHeader(status)
	w.Write(b)
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusMethodNotAllowed, (&problem{code: "not-supported", diag: r.Method + " is not supported on this path"}).outcome())
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, (&problem{code: "not-found", diag: "no such endpoint"}).outcome())
}
