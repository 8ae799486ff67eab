package store

import "errors"

// ErrConflict is returned by Transition, unwrapped, when the document is no
// longer in the expected state (another worker moved it). RecordConversion
// and FailInput return errors wrapping it when the input's state does not
// allow the change: test with errors.Is.
var ErrConflict = errors.New("store: state changed concurrently")

// ErrNotFound is returned when an id (or a content hash) names no row or
// file. Errors wrap it: test with errors.Is.
var ErrNotFound = errors.New("store: not found")
