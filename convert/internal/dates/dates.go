// Package dates reads the ISO 8601 times of FHIR resources, PDF sidecars
// and file names into the form of docs/architecture.md §11: RFC 3339 with the source's
// offset, a time without offset read in the configured zone (DST-correct),
// and dates kept as dates. Location is that zone for every converter; the
// HL7 timestamps of CDA and HL7 v2 have their own readers (their precisions
// and ±HHMM offsets are not ISO 8601).
package dates

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docbridge/docbridge"
)

// paris is the default zone; the Location is immutable once loaded.
var paris = sync.OnceValues(func() (*time.Location, error) { return time.LoadLocation("Europe/Paris") })

// Location returns loc, or Europe/Paris when loc is nil. The error is an
// Internal *docbridge.Error when the zone database lacks Europe/Paris.
func Location(loc *time.Location) (*time.Location, error) {
	if loc != nil {
		return loc, nil
	}
	l, err := paris()
	if err != nil {
		return nil, docbridge.Wrap(docbridge.Internal,
			"the Europe/Paris time zone is not available (install tzdata, or import time/tzdata in the program)", err)
	}
	return l, nil
}

// Time is a time as a source wrote it, normalised.
type Time struct {
	// Value is "YYYY", "YYYY-MM" or "YYYY-MM-DD" for a date, otherwise
	// RFC 3339 with seconds (and the source's fraction) and an offset: the
	// source's own, or the zone's at that wall-clock time.
	Value string
	// Source is the text as written when Value differs from it, else "".
	Source string
	// Date reports a date without a time of day.
	Date bool
	// Offset reports whether the source gave an offset (always true for a
	// date, which needs none).
	Offset bool
}

// ErrSyntax is returned for a text that is none of the accepted forms.
var ErrSyntax = errors.New("not a date or time in a form docbridge reads (YYYY-MM-DD, YYYY-MM-DDThh:mm:ss±hh:mm, YYYYMMDD, YYYYMMDDhhmm[ss])")

// Parse reads s in one of the forms
//
//	YYYY, YYYY-MM, YYYY-MM-DD, YYYYMMDD                    a date
//	YYYY-MM-DDThh:mm[:ss[.f…]](Z|±hh:mm)                   RFC 3339: the offset is kept
//	YYYY-MM-DDThh:mm[:ss[.f…]], YYYYMMDDhhmm[ss]            read in loc
//
// and checks the calendar. Errors never quote s: it may be patient data.
func Parse(s string, loc *time.Location) (Time, error) {
	src := strings.TrimSpace(s)
	t := Time{Offset: true}
	if compact(src) {
		switch len(src) {
		case 8:
			src = src[:4] + "-" + src[4:6] + "-" + src[6:]
		case 12, 14:
			iso := src[:4] + "-" + src[4:6] + "-" + src[6:8] + "T" + src[8:10] + ":" + src[10:12]
			if len(src) == 14 {
				iso += ":" + src[12:]
			}
			src = iso
		}
	}
	date, clock, hasClock := strings.Cut(src, "T")
	if err := checkDate(date); err != nil {
		return Time{}, err
	}
	if !hasClock {
		t.Value, t.Date = date, true
		if t.Value != s {
			t.Source = s
		}
		return t, nil
	}
	if len(date) != len("2006-01-02") {
		return Time{}, ErrSyntax
	}
	zone := ""
	if i := strings.IndexAny(clock, "Z+-"); i >= 0 {
		clock, zone = clock[:i], clock[i:]
	}
	hms := clock
	frac := ""
	if i := strings.IndexByte(clock, '.'); i >= 0 {
		hms, frac = clock[:i], clock[i+1:]
		if frac == "" || len(frac) > 9 || !digits(frac) {
			return Time{}, ErrSyntax
		}
	}
	if len(hms) == len("15:04") {
		hms += ":00"
	}
	if len(hms) != len("15:04:05") || (frac != "" && len(clock) < len("15:04:05")) {
		return Time{}, ErrSyntax
	}
	day, err := time.Parse("2006-01-02T15:04:05", date+"T"+hms)
	if err != nil {
		return Time{}, ErrSyntax
	}
	var at *time.Location
	switch {
	case zone == "Z":
		at = time.UTC
	case zone != "":
		if len(zone) != len("+01:00") || zone[3] != ':' || !digits(zone[1:3]+zone[4:]) {
			return Time{}, ErrSyntax
		}
		h, _ := strconv.Atoi(zone[1:3])
		m, _ := strconv.Atoi(zone[4:])
		if h > 14 || m > 59 {
			return Time{}, ErrSyntax
		}
		sec := h*3600 + m*60
		if zone[0] == '-' {
			sec = -sec
		}
		at = time.FixedZone("", sec)
	default:
		t.Offset = false
		if at, err = Location(loc); err != nil {
			return Time{}, err
		}
	}
	w := time.Date(day.Year(), day.Month(), day.Day(), day.Hour(), day.Minute(), day.Second(), 0, at)
	out := w.Format("2006-01-02T15:04:05")
	if frac != "" {
		out += "." + frac
	}
	if zone == "Z" {
		out += "Z"
	} else {
		out += w.Format("-07:00")
	}
	t.Value = out
	if t.Value != s {
		t.Source = s
	}
	return t, nil
}

// checkDate checks a date part: YYYY, YYYY-MM or YYYY-MM-DD, in range.
func checkDate(d string) error {
	switch len(d) {
	case 4:
		if !digits(d) {
			return ErrSyntax
		}
	case 7:
		if _, err := time.Parse("2006-01", d); err != nil {
			return ErrSyntax
		}
	case 10:
		if _, err := time.Parse("2006-01-02", d); err != nil {
			return ErrSyntax
		}
	default:
		return ErrSyntax
	}
	return nil
}

// compact reports the all-digit forms YYYYMMDD and YYYYMMDDhhmm[ss].
func compact(s string) bool {
	return digits(s) && (len(s) == 8 || len(s) == 12 || len(s) == 14)
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
