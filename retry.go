package docbridge

// CanRetry reports whether a document in state s, stopped for reason r,
// may be retried: failed or held for a delivery outcome (mes-unavailable,
// mes-rejected, internal, pairing-expired), not a verdict on the document
// that only fixing the source or a person's decision can change. The
// console and `docbridge queue retry` both apply this one rule.
func CanRetry(s State, r Reason) bool {
	if s != Failed && s != Held {
		return false
	}
	switch r {
	case MESUnavailable, MESRejected, Internal, PairingExpired:
		return true
	}
	return false
}
