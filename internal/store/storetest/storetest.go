// Package storetest helps tests of any package run against the
// PostgreSQL engine of internal/store.
//
// PostgreSQL tests run when the environment variable
// DOCBRIDGE_TEST_POSTGRES holds the URL of a database where the test may
// create schemas (CI sets it, see .ci/run); without it they are skipped.
// Each call of Postgres gives the test a fresh schema of its own, so tests
// and packages can run at the same time on one database.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// EnvVar names the environment variable holding the test database's URL.
const EnvVar = "DOCBRIDGE_TEST_POSTGRES"

// SkipMessage is what a PostgreSQL test says when it is skipped.
const SkipMessage = EnvVar + " not set: PostgreSQL tests skipped (see .ci/run)"

// Enabled reports whether PostgreSQL tests run (EnvVar is set).
func Enabled() bool { return os.Getenv(EnvVar) != "" }

// Postgres creates a new empty schema in the database EnvVar names and
// returns a URL (or keyword=value string, as EnvVar is written) for
// store.Options.Postgres whose search_path is that schema. Several stores
// opened with it share the schema, as instances sharing a database do. The
// schema and everything in it is dropped when the test ends, after the
// cleanups registered later (Close the stores in t.Cleanup). It skips the
// test when EnvVar is unset and fails it when the database cannot be
// reached.
func Postgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		t.Skip(SkipMessage)
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", EnvVar, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		db.Close()
		t.Fatalf("storetest: create schema %s in the %s database: %v", schema, EnvVar, err)
	}
	t.Cleanup(func() {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(base, schema)
}

// withSearchPath returns the connection string base with its search_path
// set to schema, in base's syntax (URL or keyword=value).
func withSearchPath(base, schema string) string {
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		if u, err := url.Parse(base); err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return base + " search_path=" + schema
}
