package store

import (
	"math"
	"time"
)

// Times are stored as INTEGER Unix nanoseconds in UTC, which sort and
// compare in SQL as times do. The zero time is stored as 0 and 0 reads back
// as the zero time. Times outside what int64 nanoseconds can hold (before
// 1678 or after 2262) are clamped, so "never" can be written as a far
// future time.

var (
	minTime = time.Unix(0, math.MinInt64+1)
	maxTime = time.Unix(0, math.MaxInt64)
)

// nanos returns t as stored.
func nanos(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case t.Before(minTime):
		return math.MinInt64 + 1
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// fromNanos returns the stored n as a UTC time.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
