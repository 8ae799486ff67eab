package hl7

import (
	"strconv"
	"strings"
)

// Ref returns the location in the short form docbridge writes at the start
// of a refusal message: "OBX[2]-5.5", "PID-3", "MSH-9.2" (the sequence is
// written only when it is above 1). LocationOf reads it back.
func (l Location) Ref() string {
	if l.Segment == "" {
		return ""
	}
	var sb strings.Builder
	sb.WriteString(l.Segment)
	if l.Sequence > 1 {
		sb.WriteString("[" + strconv.Itoa(l.Sequence) + "]")
	}
	if l.Field > 0 {
		sb.WriteString("-" + strconv.Itoa(l.Field))
		if l.Component > 0 {
			sb.WriteString("." + strconv.Itoa(l.Component))
			if l.Subcomponent > 0 {
				sb.WriteString("." + strconv.Itoa(l.Subcomponent))
			}
		}
	}
	return sb.String()
}

// LocationOf reads the location at the start of msg when msg starts with a
// Ref followed by ": " ("OBX[2]-5.5: base64 …"). This is how a converter's
// refusal message tells an MLLP intake what to put in ERR-2 without another
// channel. ok is false when msg does not start with one.
func LocationOf(msg string) (Location, bool) {
	ref, _, found := strings.Cut(msg, ": ")
	if !found || len(ref) < 3 || len(ref) > 32 || !validSegmentID([]byte(ref[:3]), 0) {
		return Location{}, false
	}
	l := Location{Segment: ref[:3], Sequence: 1}
	rest := ref[3:]
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		n, err := strconv.Atoi(rest[1:max(end, 1)])
		if end < 0 || err != nil || n < 1 {
			return Location{}, false
		}
		l.Sequence, rest = n, rest[end+1:]
	}
	if rest == "" {
		return l, true
	}
	if rest[0] != '-' {
		return Location{}, false
	}
	parts := strings.Split(rest[1:], ".")
	if len(parts) > 3 {
		return Location{}, false
	}
	dst := []*int{&l.Field, &l.Component, &l.Subcomponent}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return Location{}, false
		}
		*dst[i] = n
	}
	return l, true
}
