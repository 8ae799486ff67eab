//go:build !unix

package main

import (
	"errors"
	"os"
)

// tryLock fails where flock does not exist: serve and bulk on SQLite are
// supported on Unix systems only (the README's requirements).
func tryLock(*os.File) error {
	return errors.New("no file locking on this system: run docbridge on Linux, or with a PostgreSQL database:")
}
