package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// writerLockFile is the lock file in the data directory of a SQLite store.
const writerLockFile = "writer.lock"

// errLocked is returned by the platform's tryLock when another process
// holds the lock.
var errLocked = errors.New("locked")

// storeLock is the writer lock of a SQLite store: the process that holds
// it (serve, demo, or a bulk run) is the one that runs the pipeline on
// that store. The operating system releases it when the process ends,
// however it ends. Operator commands do not take it: they read, or make
// single transactional changes, beside a running serve.
type storeLock struct{ f *os.File }

// lockStore takes the writer lock of cfg's store for who ("serve",
// "bulk"…), without waiting. It returns nil, nil for a PostgreSQL store,
// which several instances share by design (claims with leases). When
// another process holds it, the error is a usage error (exit 2) that says
// which process and what to do. It creates the data directory (0700) when
// needed. The caller must Release the lock.
func lockStore(cfg *Config, who string) (*storeLock, error) {
	if cfg.Database != "" {
		return nil, nil
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", cfg.Data, err)
	}
	path := filepath.Join(cfg.Data, writerLockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := tryLock(f); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if !errors.Is(err, errLocked) {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		h := strings.TrimSpace(string(holder))
		if h == "" {
			h = "another process"
		}
		return nil, usageErrorf("data %s: the SQLite store is in use by %s; one process runs the pipeline on a SQLite store, whatever its instance: name (%s). %s",
			cfg.Data, h, writerLockFile, lockAdvice(who))
	}
	// Say who holds it, for the message of the next one refused.
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "docbridge %s (pid %d, instance %q)\n", who, os.Getpid(), cfg.Instance)
	}
	return &storeLock{f: f}, nil
}

// lockAdvice says what to do instead of a second writer.
func lockAdvice(who string) string {
	if who == "bulk" {
		return "Stop serve during the bulk run (bulk --dry-run may run beside it), or share a PostgreSQL database: between them."
	}
	return "Stop the other one first; several instances need a shared PostgreSQL database: (README, Deployment)."
}

// Release gives the lock back. A nil lock is a no-op.
func (l *storeLock) Release() error {
	if l == nil {
		return nil
	}
	return l.f.Close()
}
