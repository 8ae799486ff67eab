package hl7v2

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// dtm is an HL7 v2 DTM value read from a message.
type dtm struct {
	Value  string // "YYYY-MM-DD" for a date, else RFC 3339 with an offset
	Source string // as the message wrote it
	Date   bool   // date precision only
}

// parseDTM reads YYYYMMDD[HH[MM[SS[.S…]]]][±ZZZZ]. A time without offset
// is a wall-clock time in loc. The error never quotes the value.
func parseDTM(s string, loc *time.Location) (dtm, error) {
	src := s
	s = strings.TrimSpace(s)
	body, zone := s, ""
	if i := strings.IndexAny(s, "+-"); i >= 0 {
		body, zone = s[:i], s[i:]
	}
	frac := ""
	if i := strings.IndexByte(body, '.'); i >= 0 {
		body, frac = body[:i], body[i+1:]
	}
	if len(body) < 8 || len(body) > 14 || len(body)%2 != 0 || !allDigits(body) || !allDigits(frac) {
		return dtm{}, errors.New("not an HL7 date/time YYYYMMDD[HHMM[SS]][±ZZZZ]")
	}
	if zone != "" && (len(zone) != 5 || !allDigits(zone[1:])) {
		return dtm{}, errors.New("the offset is not ±ZZZZ")
	}
	n := func(i, j int) int {
		if j > len(body) {
			return 0
		}
		v, _ := strconv.Atoi(body[i:j])
		return v
	}
	y, mo, d := n(0, 4), n(4, 6), n(6, 8)
	if mo < 1 || mo > 12 || d < 1 || d > 31 {
		return dtm{}, errors.New("not a valid calendar date")
	}
	if len(body) == 8 {
		if time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC).Day() != d {
			return dtm{}, errors.New("not a valid calendar date")
		}
		return dtm{Value: body[:4] + "-" + body[4:6] + "-" + body[6:8], Source: src, Date: true}, nil
	}
	h, mi, sec := n(8, 10), n(10, 12), n(12, 14)
	if h > 23 || mi > 59 || sec > 59 {
		return dtm{}, errors.New("not a valid time of day")
	}
	tz := loc
	if zone != "" {
		off := (int(zone[1]-'0')*10+int(zone[2]-'0'))*3600 + (int(zone[3]-'0')*10+int(zone[4]-'0'))*60
		if zone[0] == '-' {
			off = -off
		}
		tz = time.FixedZone("", off)
	}
	ns := 0
	if frac != "" {
		f, _ := strconv.Atoi((frac + "000000000")[:9])
		ns = f
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ns, tz)
	if t.Day() != d {
		return dtm{}, errors.New("not a valid calendar date")
	}
	return dtm{Value: t.Format(time.RFC3339Nano), Source: src}, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
