package measure

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// ErrNoValue is ParseNumber's error for an empty value.
var ErrNoValue = errors.New("the value is empty")

// ErrNotPlain is ParseNumber's error for a structured numeric value MES
// cannot take as one number: a comparator other than "=", a range or a
// ratio.
var ErrNotPlain = errors.New("the value has a comparator, a range or a ratio, not one number")

// ParseNumber reads an OBX-5 numeric value as a decimal string with '.'
// as separator: for OBX-2 NM the whole value ("71.5", "71,5", "-3",
// "+4.0"), for SN (comparator ^ num1 ^ separator ^ num2) a num1 with an
// empty or "=" comparator and no separator nor num2. sn says the value is
// an SN, given as its components. A comma is taken as the decimal
// separator, as French sources write it; thousands separators are not.
// The result is canonical: no sign "+", no leading zeros but one before the
// point, at least one digit after a point. It never quotes the value in
// its errors.
func ParseNumber(nm string, sn []string) (string, error) {
	s := nm
	if sn != nil {
		get := func(i int) string {
			if i < len(sn) {
				return strings.TrimSpace(sn[i])
			}
			return ""
		}
		if c := get(0); c != "" && c != "=" {
			return "", ErrNotPlain
		}
		if get(2) != "" || get(3) != "" {
			return "", ErrNotPlain
		}
		s = get(1)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrNoValue
	}
	return Decimal(s)
}

// Decimal checks that s is [+-]digits[(.|,)digits] and returns it in
// canonical form (see ParseNumber). It never quotes s in its error.
func Decimal(s string) (string, error) {
	if s == "" {
		return "", ErrNoValue
	}
	bad := errors.New("not a decimal number")
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	intPart, frac, hasPoint := strings.Cut(strings.Replace(s, ",", ".", 1), ".")
	if (intPart == "" && frac == "") || (hasPoint && frac == "") || !allDigits(intPart) || !allDigits(frac) {
		return "", bad
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	out := intPart
	if frac != "" {
		out += "." + frac
	}
	if len(out) > 32 {
		return "", bad
	}
	if v, err := strconv.ParseFloat(out, 64); err != nil || math.IsInf(v, 0) {
		return "", bad
	}
	if neg && strings.Trim(out, "0.") != "" {
		out = "-" + out
	}
	return out, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
