package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

const (
	dbFile     = "docbridge.db"
	contentDir = "content"
	tmpDir     = "tmp"

	// DefaultMaxInputSize is the input size limit when Options.MaxInputSize
	// is zero.
	DefaultMaxInputSize int64 = 512 << 20

	// staleTemp is the age after which Open removes a temp file left by a
	// crash. An Accept in progress writes its temp file continuously, so
	// its modification time stays recent.
	staleTemp = 24 * time.Hour
)

// Options configures a Store.
type Options struct {
	Dir          string // data directory: docbridge.db, content/ and tmp/
	MaxInputSize int64  // Accept refuses bigger inputs with TooLarge; 0 means DefaultMaxInputSize
	// Now is the clock for the times the store sets itself (received_at when
	// the envelope has none, created_at, updated_at, event times, a zero
	// NextAttempt). Nil means time.Now.
	Now func() time.Time
	// TokenKey, when not nil, is the 32-byte AES-256-GCM key that encrypts
	// pairing tokens at rest (see tokencrypt.go); Open then encrypts any
	// token still in clear. Nil stores and reads tokens in clear, and
	// reading an encrypted token fails with ErrNoTokenKey.
	TokenKey []byte
}

// Store is the durable state of docbridge on SQLite. It is safe for
// concurrent use; see the package documentation for the rules.
type Store struct {
	dir      string
	maxInput int64
	now      func() time.Time
	box      tokenBox // seals pairing tokens; zero: in clear

	w *sql.DB // exactly one connection: every write transaction
	r *sql.DB // read-only pool

	// durableDirs holds the content subdirectories whose entry this
	// process has fsynced in content/.
	durableDirs sync.Map

	closeOnce sync.Once
	closeErr  error
}

// Open opens the store in o.Dir, creating the directory, the database and
// its schema when needed and applying pending migrations. It verifies that
// the database runs with WAL, synchronous=FULL, foreign keys on and a busy
// timeout, and fails otherwise. It blocks on disk I/O and on other
// processes holding the database's write lock (up to the busy timeout). It
// fails when the database was written by a newer docbridge (schema version
// unknown here). The caller must Close the Store.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Dir == "" {
		return nil, errors.New("store: open: no data directory")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", o.Dir, err)
	}
	if strings.ContainsRune(dir, '?') {
		return nil, fmt.Errorf("store: open %s: data directory must not contain '?'", dir)
	}
	box, err := newTokenBox(o.TokenKey)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	s := &Store{dir: dir, maxInput: o.MaxInputSize, now: o.Now, box: box}
	if s.maxInput <= 0 {
		s.maxInput = DefaultMaxInputSize
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.makeDirs(); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	if err := s.openDB(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	if err := s.encryptClearTokens(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s: encrypt pairing tokens: %w", dir, err)
	}
	s.removeStaleTemps()
	return s, nil
}

// makeDirs creates the data directory, content/ and tmp/ (0700), makes
// their entries durable and creates the database file 0600 so that SQLite
// (which gives its WAL and shared-memory files the database's mode) never
// creates a world-readable file.
func (s *Store) makeDirs() error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return err
	}
	for _, d := range []string{contentDir, tmpDir} {
		if err := os.Mkdir(filepath.Join(s.dir, d), 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	f, err := os.OpenFile(filepath.Join(s.dir, dbFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return syncDir(s.dir)
}

// openDB opens the writer and the reader pools, verifies the pragmas and
// migrates the schema.
func (s *Store) openDB(ctx context.Context) error {
	path := filepath.Join(s.dir, dbFile)
	var err error
	if s.w, err = openSQLite(ctx, path, true); err != nil {
		return err
	}
	if err := migrate(ctx, s.w, s.now()); err != nil {
		return err
	}
	if s.r, err = openSQLite(ctx, path, false); err != nil {
		return err
	}
	return nil
}

// removeStaleTemps removes temp files a crashed process left in tmp/.
// Errors are ignored: a leftover temp file costs only disk space.
func (s *Store) removeStaleTemps() {
	dir := filepath.Join(s.dir, tmpDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || time.Since(info.ModTime()) < staleTemp {
			continue
		}
		os.Remove(filepath.Join(dir, e.Name()))
	}
}

// Close closes the database connections. It waits for nothing: callers
// stop their workers first. Calls after the first return the first result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.r != nil {
			errs = append(errs, s.r.Close())
		}
		if s.w != nil {
			errs = append(errs, s.w.Close())
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("store: close: %w", err)
		}
	})
	return s.closeErr
}
