package traits

import (
	"slices"
	"strconv"
	"strings"
)

// The INS OIDs (docs/sources.md §3), bare: INS-NIR, INS-NIA,
// INS-NIR test, INS-NIR demo. Which of them may be sent is decided by
// internal/identity; the converters only recognise them.
const (
	OIDNIR     = "1.2.250.1.213.1.4.8"
	OIDNIA     = "1.2.250.1.213.1.4.9"
	OIDNIRTest = "1.2.250.1.213.1.4.10"
	OIDNIRDemo = "1.2.250.1.213.1.4.11"
)

// INSOIDs are the four INS OIDs, bare, in the order above.
var INSOIDs = []string{OIDNIR, OIDNIA, OIDNIRTest, OIDNIRDemo}

// IsINSSystem reports whether system is one of the INS OIDs, bare or as a
// "urn:oid:" URI.
func IsINSSystem(system string) bool {
	return slices.Contains(INSOIDs, strings.TrimPrefix(OID(system), "urn:oid:"))
}

// NormINS is an INS as every converter records it and as identity checks
// it: white space removed (sources write "2 85 04 75 …") and letters
// upper-cased (the Corsican departments 2A and 2B). It is the one home of
// the INS form; its key is checked on this form (ValidINSKey).
func NormINS(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// ValidINSKey reports whether a 15-character INS (NIR or NIA) has a
// correct check key: 97 − (first 13 digits mod 97), with Corsica's 2A and
// 2B (in either case) read as 19 and 18.
func ValidINSKey(ins string) bool {
	if len(ins) != 15 {
		return false
	}
	body := strings.ToUpper(ins[:13])
	switch body[5:7] {
	case "2A":
		body = body[:5] + "19" + body[7:]
	case "2B":
		body = body[:5] + "18" + body[7:]
	}
	n, err := strconv.ParseUint(body, 10, 64)
	if err != nil || !digits(ins[13:]) {
		return false
	}
	key, _ := strconv.Atoi(ins[13:])
	return key == int(97-n%97)
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
