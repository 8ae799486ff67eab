// Package ident holds the identifier syntax the converters share: ISO OIDs
// and UUIDs as they appear in CDA ids and HL7 v2 EIs. The form of an INS
// lives in traits (NormINS), shared with internal/identity.
package ident

import "strings"

// IsOID reports whether s is an ISO OID in dotted form: arcs of digits
// without leading zeros, at least two arcs, the first 0, 1 or 2.
func IsOID(s string) bool {
	if len(s) < 3 || s[0] < '0' || s[0] > '2' {
		return false
	}
	arcs := strings.Split(s, ".")
	if len(arcs) < 2 {
		return false
	}
	for _, a := range arcs {
		if !Digits(a) || (len(a) > 1 && a[0] == '0') {
			return false
		}
	}
	return true
}

// IsUUID reports whether s is a UUID in its 8-4-4-4-12 hex form.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// Digits reports whether s is one or more ASCII digits.
func Digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
