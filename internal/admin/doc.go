// Package admin is docbridge's operations surface: the web console, the
// Prometheus metrics and the health endpoints (docs/architecture.md §1, §9).
//
// # Console
//
// The console is server-rendered html/template pages (embedded, no
// JavaScript): a dashboard (documents by state and intake, oldest pending
// age, MES health, stall signals, recent failures), the document list with
// filters, a document page (normalised metadata, the history of its
// transitions, the actions its state allows) and the list of pairings.
//
// Every page needs a signed-in user. Users are local (bcrypt password
// hashes from the configuration) or named by a trusted reverse proxy in a
// header, accepted only from the configured proxy networks. A sign-in
// starts a server-side session: a random 256-bit id in a cookie that is
// HttpOnly, SameSite=Strict, Secure when the console runs TLS, and expires
// after Options.SessionTTL. Every POST carries the session's synchronizer
// token (the login form a token bound to a pre-login cookie) and is refused
// with 403 without it. Roles: a viewer reads; an operator also acts.
//
// The password form is throttled (ThrottleOptions, throttle.go): failures
// are counted in memory per account and address, per address and per
// account, and a counter at its limit locks the form for it (429 with
// Retry-After, the password not checked) for a time that doubles with each
// further failure. Only the first refusal and each lock are audited. The
// client address is the peer's, or behind a trusted proxy the right-most
// X-Forwarded-For entry that is not one (client.go). After sign-in the
// browser goes only to a path of the console (safeNext, next.go).
//
// # Actions and review decisions
//
// Actions are internal/operate's, the same as `docbridge queue`'s: store
// transitions whose actor is "user:NAME" and whose message is the
// person's note, so the store's history and audit trail record who did
// what and why: retry (failed or held for a delivery reason → converted,
// matched again with the pairings of now), release (held → converted), and the three review decisions: confirm (review →
// converted, so that the match stage takes the document again), reject
// (review → failed, keeping the review's reason) and set aside (review →
// review with the note).
//
// Confirming an identity-mismatch review records an identity.Confirmation
// in the transition's message: the pairing found by the document's INS and
// a fingerprint of the exact trait-by-trait diff the person was shown. The
// identity.Matcher, given operate.DecisionLog as its Decisions, accepts that
// document for that pairing with that diff only; a different pairing, or a
// paired identity that changed since, gives a new diff and a new review.
// The form carries the fingerprint the person saw and the server refuses
// the decision when the diff changed in the meantime. Missing-INS and
// missing-trait reviews cannot be confirmed: the source must be fixed.
//
// Searches by patient key (INS or local id) are sent by POST only, so the
// key is never in a URL or an access log, and are audited with who, when
// and the kind of key, never its value.
//
// # Metrics and health
//
// The metrics (internal/metrics) are served on /metrics; /healthz answers while the process
// runs; /readyz answers 200 only when the store answers a query and, when
// configured, MES answers. Metrics and health need no sign-in and carry no
// patient data: labels are state, reason, intake, HTTP method and status
// code, never ids.
package admin
