package mes

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/docbridge/docbridge"
)

// maxAnswerBytes bounds how much of an answer's body is read: MES's answers
// are small resources or OperationOutcomes.
const maxAnswerBytes = 1 << 20

// transportError classifies a failed round trip (dial, TLS, reset, timeout,
// ctx done): MES may well be back later.
func transportError(uniqueID string, err error) error {
	return docbridge.Wrap(docbridge.MESUnavailable, fmt.Sprintf("send document %s: MES could not be reached", uniqueID), err)
}

// receipt classifies MES's answer to req once: a Receipt for 2xx, else a
// *docbridge.Error with a Receipt that carries only MES's HTTP status and
// request id (for the audit record of the refusal). It reads and closes
// resp.Body.
func receipt(req *http.Request, resp *http.Response, reqID string, redact func(string) string) (docbridge.Receipt, error) {
	body, reqID, err := readAnswer(req, resp, reqID, redact)
	if err != nil {
		return answered(resp, reqID), err
	}
	return docbridge.Receipt{
		MESID:     resourceID(body, resp.Header.Get("Location")),
		Status:    resp.StatusCode,
		RequestID: reqID,
		Duplicate: isDuplicateHeader(resp.Header) || parseOutcome(body).duplicate(),
	}, nil
}

// answered is the Receipt of an answer that is not a delivery: MES's HTTP
// status and the request id, nothing else.
func answered(resp *http.Response, reqID string) docbridge.Receipt {
	return docbridge.Receipt{Status: resp.StatusCode, RequestID: reqID}
}

// readAnswer reads and closes resp.Body (up to maxAnswerBytes) and
// classifies every answer but a 2xx into a *docbridge.Error. It returns the
// body (with the error too) and the request id: MES's own when it sent
// one, else reqID.
func readAnswer(req *http.Request, resp *http.Response, reqID string, redact func(string) string) ([]byte, string, error) {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4*maxAnswerBytes)) // let the connection be reused

	st := resp.StatusCode
	if resp.Request != nil && (resp.Request.Method != req.Method || resp.Request.URL.String() != req.URL.String()) {
		return body, reqID, docbridge.Errorf(docbridge.MESUnavailable,
			"%s %s was redirected to %s (HTTP %d); check the MES base URL", req.Method, req.URL.Path, resp.Request.URL.Redacted(), st)
	}
	if rid := resp.Header.Get(headerRequestID); rid != "" {
		reqID = rid
	}
	if st >= 200 && st < 300 {
		return body, reqID, nil
	}
	return body, reqID, answerError(resp, body, reqID, redact)
}

// answerError classifies a non-2xx answer whose body (an OperationOutcome,
// or anything) has been read.
func answerError(resp *http.Response, body []byte, reqID string, redact func(string) string) error {
	st := resp.StatusCode
	oo := parseOutcome(body)
	switch {
	case st == http.StatusRequestTimeout, st == http.StatusTooEarly, st == http.StatusTooManyRequests, st >= 500 && st < 600:
		return &docbridge.Error{
			Reason:     docbridge.MESUnavailable,
			Msg:        fmt.Sprintf("MES is unavailable (HTTP %d, request %s)%s", st, reqID, oo.summary(redact)),
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}

	case st == http.StatusUnauthorized || st == http.StatusForbidden && oo.has(revokedIssueCodes):
		// A 401 is always about the token: the document itself was not
		// judged, so it waits for the pairing rather than failing.
		return docbridge.Errorf(docbridge.PairingRevoked,
			"MES no longer accepts this pairing's token (HTTP %d, request %s)%s", st, reqID, oo.summary(redact))

	case st >= 400 && st < 500:
		return docbridge.Errorf(docbridge.MESRejected,
			"MES refused the request (HTTP %d, request %s)%s", st, reqID, oo.summary(redact))
	}
	// 1xx, 3xx and non-HTTP codes: a misconfiguration or a proxy in the
	// way, not a verdict on the document.
	return docbridge.Errorf(docbridge.MESUnavailable,
		"unexpected answer from MES (HTTP %d, request %s); check the MES base URL", st, reqID)
}

// resourceID returns the id of the resource in body, or else the id in a
// Location such as …/DocumentReference/<id>/_history/1.
func resourceID(body []byte, location string) string {
	var r struct {
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
	}
	if json.Unmarshal(body, &r) == nil && r.ResourceType == "DocumentReference" && r.ID != "" {
		return r.ID
	}
	return locationID(location)
}

// locationID returns the DocumentReference id in a location, absolute
// (…/DocumentReference/<id>/_history/1) or relative (DocumentReference/<id>),
// or "".
func locationID(location string) string {
	const seg = "DocumentReference/"
	i := strings.LastIndex(location, seg)
	if i < 0 || i > 0 && location[i-1] != '/' {
		return ""
	}
	rest := location[i+len(seg):]
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// outcome is the part of a FHIR OperationOutcome docbridge reads.
type outcome struct {
	ResourceType string  `json:"resourceType"`
	Issue        []issue `json:"issue"`
}

// issue is one OperationOutcome issue.
type issue struct {
	Severity    string `json:"severity"`
	Code        string `json:"code"`
	Diagnostics string `json:"diagnostics"`
	Details     *struct {
		Text string `json:"text"`
	} `json:"details"`
	Expression []string `json:"expression"`
}

// parseOutcome returns the OperationOutcome in body, or nil. It decodes
// with the samply R4 models, which refuse unknown severity and issue codes;
// samply does not check resourceType, so that is checked first.
func parseOutcome(body []byte) *outcome {
	var peek struct {
		ResourceType string `json:"resourceType"`
	}
	if json.Unmarshal(body, &peek) != nil || peek.ResourceType != "OperationOutcome" {
		return nil
	}
	oo, err := fhir.UnmarshalOperationOutcome(body)
	if err != nil {
		return nil
	}
	o := &outcome{ResourceType: peek.ResourceType}
	for _, is := range oo.Issue {
		var i issue
		i.Severity, i.Code, i.Expression = is.Severity.Code(), is.Code.Code(), is.Expression
		if is.Diagnostics != nil {
			i.Diagnostics = *is.Diagnostics
		}
		if is.Details != nil && is.Details.Text != nil {
			i.Details = &struct {
				Text string `json:"text"`
			}{*is.Details.Text}
		}
		o.Issue = append(o.Issue, i)
	}
	return o
}

// has reports whether an issue has one of codes.
func (o *outcome) has(codes map[string]bool) bool {
	if o == nil {
		return false
	}
	for _, is := range o.Issue {
		if codes[is.Code] {
			return true
		}
	}
	return false
}

// duplicate reports whether o is an informational "already have it".
func (o *outcome) duplicate() bool {
	if o == nil {
		return false
	}
	for _, is := range o.Issue {
		if is.Code == "duplicate" && (is.Severity == "information" || is.Severity == "warning") {
			return true
		}
	}
	return false
}

// maxSummary bounds the part of an error message that comes from MES.
const maxSummary = 400

// summary returns ": code: diagnostics (at expression); …", passed through
// redact and cut to a bounded length, or "" when o is nil.
func (o *outcome) summary(redact func(string) string) string {
	if o == nil || len(o.Issue) == 0 {
		return ""
	}
	var parts []string
	for _, is := range o.Issue {
		s := is.Code
		text := is.Diagnostics
		if text == "" && is.Details != nil {
			text = is.Details.Text
		}
		if text != "" {
			s += ": " + text
		}
		if len(is.Expression) > 0 {
			s += " (at " + strings.Join(is.Expression, ", ") + ")"
		}
		parts = append(parts, s)
	}
	s := redact(strings.Join(parts, "; "))
	if r := []rune(s); len(r) > maxSummary {
		s = string(r[:maxSummary]) + "…"
	}
	return ": " + s
}

// parseRetryAfter reads a Retry-After value, in seconds or as an HTTP date,
// relative to now; 0 when absent, unreadable or past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 || n > int64(1<<62/time.Second) {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now).Round(time.Second)
	}
	return 0
}
