package messim

import "net/http"

// FaultsByHeader returns a FaultFunc that answers statuses[v] to every
// request (API or pairing) whose header name has the value v, and lets the
// others through: a client that labels its requests (docbridge conformance
// labels each with its case) gets the refusal it asks for on exactly those
// requests. Statuses must be 4xx or 5xx; the answer is an OperationOutcome
// whose issue code fits the status (faultIssueCode), with Retry-After: 1
// for 429 and 503.
func FaultsByHeader(name string, statuses map[string]int) FaultFunc {
	return func(r *http.Request) (int, bool) {
		v := r.Header.Get(name)
		if v == "" {
			return 0, false
		}
		st, ok := statuses[v]
		return st, ok
	}
}

// faultIssueCode is the OperationOutcome issue code of an injected fault:
// one a client classifies as MES would mean it.
func faultIssueCode(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "throttled"
	case status == http.StatusUnauthorized:
		return "login"
	case status == http.StatusForbidden:
		return "forbidden"
	case status == http.StatusNotFound:
		return "not-found"
	case status == http.StatusConflict:
		return "conflict"
	case status >= 400 && status < 500:
		return "processing"
	}
	return "transient"
}
