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
	"syscall"
	"time"
)

const (
	contentDir = "content"
	tmpDir     = "tmp"

	// DefaultMaxInputSize is the input size limit when Options.MaxInputSize
	// is zero.
	DefaultMaxInputSize int64 = 512 << 20

	// staleTemp is the age after which Open removes a temp file left by a
	// crash. An AcceptConverted in progress writes its temp file continuously, so
	// its modification time stays recent.
	staleTemp = 24 * time.Hour
)

// Options configures a Store.
type Options struct {
	// Dir is the data directory: content/ and tmp/ always, docbridge.db
	// when the database is SQLite. Required. Stores sharing one PostgreSQL
	// database must share this directory too (see the package
	// documentation).
	Dir string
	// Postgres, when not empty, is the URL of the PostgreSQL database that
	// holds the state instead of SQLite, e.g.
	// "postgres://docbridge@db.example/docbridge?sslmode=verify-full"
	// (pgx syntax; a keyword=value string works too). The tables live in
	// the first schema of the search_path. Empty means SQLite in Dir.
	Postgres     string
	MaxInputSize int64 // AcceptConverted refuses bigger inputs with TooLarge; 0 means DefaultMaxInputSize
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

// Store is the durable state of docbridge, on SQLite or PostgreSQL. It is
// safe for concurrent use; see the package documentation for the rules.
type Store struct {
	dir      string
	maxInput int64
	now      func() time.Time
	box      tokenBox // seals pairing tokens; zero: in clear
	eng      engine

	// exclusive holds the process-local locks of Exclusive on SQLite, by
	// name.
	exclusive sync.Map

	w *sql.DB // every write transaction; SQLite: exactly one connection
	r *sql.DB // reads; SQLite: a read-only pool; PostgreSQL: w

	// durableDirs holds the content subdirectories whose entry this
	// process has fsynced in content/.
	durableDirs sync.Map
	// pending holds the inline inputs whose AcceptConverted is in progress.
	pending pendingContent
	// applying serializes ApplyJournal: two calls never take the same
	// entries.
	applying sync.Mutex

	closeOnce sync.Once
	closeErr  error
}

// Open opens the store in o.Dir, creating the directory, the database and
// its schema when needed and applying pending migrations. The database is
// SQLite in o.Dir, or PostgreSQL when o.Postgres is set.
//
// On SQLite it verifies that the database runs with WAL,
// synchronous=FULL, foreign keys on and a busy timeout, and fails
// otherwise; it blocks on other processes holding the database's write
// lock (up to the busy timeout). On PostgreSQL it connects, verifies that
// commits are durable (fsync and synchronous_commit not off) and that the
// search_path names a schema, and blocks while another instance migrates
// the same schema. Either way it blocks on disk I/O, and fails when the
// database was written by a newer docbridge (schema version unknown here).
// Errors never quote o.Postgres, which may hold a password. The caller
// must Close the Store.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Dir == "" {
		return nil, errors.New("store: open: no data directory")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", o.Dir, err)
	}
	box, err := newTokenBox(o.TokenKey)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	var eng engine = &sqliteEngine{}
	switch {
	case o.Postgres != "":
		eng = &pgEngine{url: o.Postgres}
	case strings.ContainsRune(dir, '?'): // it would end SQLite's file name in the DSN
		return nil, fmt.Errorf("store: open %s: data directory must not contain '?'", dir)
	}
	s := &Store{dir: dir, maxInput: o.MaxInputSize, now: o.Now, box: box, eng: eng}
	if s.maxInput <= 0 {
		s.maxInput = DefaultMaxInputSize
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.makeDirs(); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	if err := s.eng.open(ctx, s); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s: %w", s.describe(), err)
	}
	if err := s.encryptClearTokens(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s: encrypt pairing tokens: %w", s.describe(), err)
	}
	s.removeStaleTemps()
	return s, nil
}

// ErrNoStore is returned by OpenExisting when the directory holds no
// docbridge store.
var ErrNoStore = errors.New("no docbridge store")

// OpenExisting opens the store in o.Dir as Open does, but only when one is
// already there: on SQLite the directory must hold the database file, on
// PostgreSQL (o.Postgres set) the content directory that serve created.
// Otherwise it creates nothing and returns an error wrapping ErrNoStore
// that names the directory. Operator commands use it so that a mistyped
// directory is an error, not a new empty store.
func OpenExisting(ctx context.Context, o Options) (*Store, error) {
	if o.Dir == "" {
		return nil, errors.New("store: open: no data directory")
	}
	want := filepath.Join(o.Dir, dbFile)
	if o.Postgres != "" {
		want = filepath.Join(o.Dir, contentDir)
	}
	fi, err := os.Stat(want)
	switch {
	case errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return nil, fmt.Errorf("%w at %s (no %s there)", ErrNoStore, o.Dir, filepath.Base(want))
	case err != nil:
		return nil, fmt.Errorf("store: open %s: %w", o.Dir, err)
	case o.Postgres == "" && !fi.Mode().IsRegular(), o.Postgres != "" && !fi.IsDir():
		return nil, fmt.Errorf("%w at %s (%s is not a docbridge file)", ErrNoStore, o.Dir, filepath.Base(want))
	}
	return Open(ctx, o)
}

// makeDirs creates the data directory, content/ and tmp/ (0700) and makes
// their entries durable.
func (s *Store) makeDirs() error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return err
	}
	for _, d := range []string{contentDir, tmpDir} {
		if err := os.Mkdir(filepath.Join(s.dir, d), 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	return syncDir(s.dir)
}

// describe names the store in errors: its directory, and the engine when
// it is PostgreSQL (never the URL, which may hold a password).
func (s *Store) describe() string {
	if _, ok := s.eng.(*pgEngine); ok {
		return s.dir + " (PostgreSQL)"
	}
	return s.dir
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

// Close closes the database connections. It waits only for the writes
// being committed (SQLite); writes still queued, or made after Close, fail.
// Callers stop their workers first. Calls after the first return the first
// result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if err := s.eng.close(s); err != nil {
			s.closeErr = fmt.Errorf("store: close: %w", err)
		}
	})
	return s.closeErr
}
