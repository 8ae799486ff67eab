package docbridge

// WaitsForPairing reports whether a document held for reason r is waiting
// for the patient to pair (not-paired, pairing-revoked, or pair again
// granting a scope: scope-missing): normal waiting that only the patient
// ends, not a document that should be moving. The stall alarm, the console
// and the reports use this one rule.
func (r Reason) WaitsForPairing() bool {
	return r == NotPaired || r == PairingRevoked || r == ScopeMissing
}
