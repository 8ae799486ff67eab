package cda

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// timestamp is an HL7 v3 TS value read from a document.
type timestamp struct {
	// Value is the FHIR dateTime form: "YYYY", "YYYY-MM", "YYYY-MM-DD" for
	// date precisions, otherwise RFC 3339 with seconds (and the source's
	// fraction, if any) and an offset: the source's own when it gave one,
	// else the offset of the configured zone at that local time.
	Value string
	// Source is the text as the document gave it.
	Source string
	// HasOffset reports whether the source gave an offset.
	HasOffset bool
	// Date reports date precision (no time of day).
	Date bool
}

// parseTS reads an HL7 v3 TS value, YYYY[MM[DD[HH[MM[SS[.F…]]]]]][±ZZZZ],
// as docs/sources.md §2 and docs/architecture.md §11 say: a time with an offset
// keeps that offset; a time without one is read as a wall-clock time in loc
// (DST-correct: the offset is the one in force in loc at that time; for a
// wall-clock time that does not exist or exists twice at a DST change, the
// offset is the one time.Date chooses). A date-only value carries no offset.
// The error says what is wrong without quoting the value.
func parseTS(s string, loc *time.Location) (timestamp, error) {
	src := s
	s = strings.TrimSpace(s)
	ts := timestamp{Source: src}

	body, zone := s, ""
	if i := strings.IndexAny(s, "+-"); i >= 0 {
		body, zone = s[:i], s[i:]
	}
	main, frac := body, ""
	if i := strings.IndexByte(body, '.'); i >= 0 {
		main, frac = body[:i], body[i+1:]
		if len(main) != 14 || frac == "" || len(frac) > 9 || !digits(frac) {
			return ts, fmt.Errorf("a fraction of a second needs a full YYYYMMDDHHMMSS time and 1 to 9 digits")
		}
	}
	if !digits(main) {
		return ts, fmt.Errorf("not an HL7 timestamp (YYYYMMDDHHMMSS[±ZZZZ])")
	}
	switch len(main) {
	case 4, 6, 8, 10, 12, 14:
	default:
		return ts, fmt.Errorf("an HL7 timestamp has 4, 6, 8, 10, 12 or 14 digits before the offset")
	}
	f := [6]int{0, 1, 1, 0, 0, 0}
	for i := 0; i*2+4 <= len(main) && i < 6; i++ {
		if i == 0 {
			f[0], _ = strconv.Atoi(main[:4])
			continue
		}
		f[i], _ = strconv.Atoi(main[2+i*2 : 4+i*2])
	}
	if f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 59 {
		return ts, fmt.Errorf("a month, day, hour, minute or second is out of range")
	}
	if d := time.Date(f[0], time.Month(f[1]), f[2], 0, 0, 0, 0, time.UTC); d.Day() != f[2] {
		return ts, fmt.Errorf("the day does not exist in that month")
	}

	var offset *time.Location
	if zone != "" {
		if len(zone) != 5 || !digits(zone[1:]) {
			return ts, fmt.Errorf("the offset must be ±HHMM")
		}
		h, _ := strconv.Atoi(zone[1:3])
		m, _ := strconv.Atoi(zone[3:5])
		if h > 14 || m > 59 {
			return ts, fmt.Errorf("the offset is out of range")
		}
		sec := h*3600 + m*60
		if zone[0] == '-' {
			sec = -sec
		}
		offset = time.FixedZone("", sec)
		ts.HasOffset = true
	}

	switch len(main) {
	case 4:
		ts.Value, ts.Date = main, true
		return ts, nil
	case 6:
		ts.Value, ts.Date = main[:4]+"-"+main[4:6], true
		return ts, nil
	case 8:
		ts.Value, ts.Date = main[:4]+"-"+main[4:6]+"-"+main[6:8], true
		return ts, nil
	}

	if offset == nil {
		offset = loc
	}
	t := time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], 0, offset)
	out := t.Format("2006-01-02T15:04:05")
	if frac != "" {
		out += "." + frac
	}
	ts.Value = out + t.Format("-07:00")
	return ts, nil
}

// dateOnly returns the date part of an HL7 TS value in FHIR date form
// ("YYYY-MM-DD", or "YYYY-MM"/"YYYY" for a partial date), for birth dates:
// the civil date as written, without any time-zone arithmetic.
func dateOnly(s string) (string, error) {
	if _, err := parseTS(s, time.UTC); err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	if len(s) > 8 && digits(s[:8]) {
		s = s[:8]
	}
	if i := strings.IndexAny(s, "+-"); i >= 0 {
		s = s[:i]
	}
	ts, err := parseTS(s, time.UTC)
	if err != nil {
		return "", err
	}
	return ts.Value, nil
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
