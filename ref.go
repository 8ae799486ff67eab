package docbridge

import (
	"crypto/sha256"
	"encoding/hex"
)

// Ref names a sender-chosen string — a dropped file's name, an HL7
// message's control id (MSH-10) — in logs and the audit trail without
// revealing it: senders put patient names, birth dates and INS there. It is
// the first 12 hex digits of the string's SHA-256, so the same string gives
// the same ref in every log line and record, and whoever holds the string
// can find its lines.
func Ref(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}
