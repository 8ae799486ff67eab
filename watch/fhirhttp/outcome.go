package fhirhttp

import (
	"encoding/json"
	"net/http"

	"github.com/docbridge/docbridge"
)

// ReasonSystem is the code system of the reason codes (docs/architecture.md §3) in the
// OperationOutcomes the intake answers.
const ReasonSystem = "urn:docbridge:reason"

// OperationOutcome is the FHIR R4 resource every error, and every 202,
// is answered with.
type OperationOutcome struct {
	ResourceType string  `json:"resourceType"` // "OperationOutcome"
	Issue        []Issue `json:"issue"`
}

// Issue is one issue of an OperationOutcome. Details carries the reason
// code (system ReasonSystem) and the sentence saying what to fix.
type Issue struct {
	Severity    string   `json:"severity"` // fatal | error | warning | information
	Code        string   `json:"code"`     // the FHIR IssueType
	Details     *Details `json:"details,omitempty"`
	Diagnostics string   `json:"diagnostics,omitempty"`
}

// Details is an issue's CodeableConcept.
type Details struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Coding is a FHIR Coding.
type Coding struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

// reasonIssue is the issue of a refusal for reason r.
func reasonIssue(severity string, r docbridge.Reason, msg string) Issue {
	is := Issue{Severity: severity, Code: issueType(r), Diagnostics: msg, Details: &Details{Text: msg}}
	if r != "" {
		is.Details.Coding = []Coding{{System: ReasonSystem, Code: string(r)}}
	}
	return is
}

// issueType is the FHIR IssueType of a reason.
func issueType(r docbridge.Reason) string {
	switch r {
	case docbridge.Malformed:
		return "structure"
	case docbridge.UnsupportedFormat:
		return "not-supported"
	case docbridge.ForbiddenConstruct:
		return "security"
	case docbridge.TooLarge:
		return "too-long"
	case docbridge.MissingMetadata, docbridge.MissingINS, docbridge.MissingTrait:
		return "required"
	case docbridge.UnmappedCode:
		return "code-invalid"
	case docbridge.INSInvalid, docbridge.INSTestOID:
		return "value"
	case docbridge.Duplicate:
		return "duplicate"
	case docbridge.Internal, docbridge.MESUnavailable:
		return "transient"
	case "":
		return "informational"
	}
	return "business-rule"
}

// statusOf is the HTTP status a refused input is answered with: 400 for an
// input that cannot be read, 413 for a too big one, 422 for one that was
// read but cannot be sent.
func statusOf(r docbridge.Reason) int {
	switch r {
	case docbridge.Malformed, docbridge.ForbiddenConstruct:
		return http.StatusBadRequest
	case docbridge.TooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusUnprocessableEntity
}

// writeOutcome answers status with an OperationOutcome of the issues.
func writeOutcome(w http.ResponseWriter, status int, issues ...Issue) {
	w.Header().Set("Content-Type", "application/fhir+json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	b, _ := json.MarshalIndent(OperationOutcome{ResourceType: "OperationOutcome", Issue: issues}, "", "  ")
	w.Write(append(b, '\n'))
}

// fail answers status with one error issue.
func fail(w http.ResponseWriter, status int, r docbridge.Reason, code, msg string) {
	is := reasonIssue("error", r, msg)
	if code != "" {
		is.Code = code
	}
	writeOutcome(w, status, is)
}
