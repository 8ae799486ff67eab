package store

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
)

// Tests of what is specific to the PostgreSQL engine. Each skips without
// DOCBRIDGE_TEST_POSTGRES (postgresT.fresh does).

// withParam returns the URL u with one more query parameter.
func withParam(t *testing.T, u, key, value string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Skipf("%s is not a URL: %v", "DOCBRIDGE_TEST_POSTGRES", err)
	}
	q := p.Query()
	q.Set(key, value)
	p.RawQuery = q.Encode()
	return p.String()
}

// TestPostgresConcurrentOpen: instances starting at once on a new schema
// migrate it once.
func TestPostgresConcurrentOpen(t *testing.T) {
	o := postgresT.fresh(t)
	const n = 3
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = Open(context.Background(), o) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	var rows, max int
	if err := stores[0].r.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&rows, &max); err != nil {
		t.Fatal(err)
	}
	if rows != schemaVersion() || max != schemaVersion() {
		t.Errorf("schema_migrations holds %d rows up to version %d, want %d", rows, max, schemaVersion())
	}
}

// TestPostgresOpenRefuses: Open refuses settings that break the store's
// promises, and never quotes the password of the URL.
func TestPostgresOpenRefuses(t *testing.T) {
	o := postgresT.fresh(t)
	u, err := url.Parse(o.Postgres)
	if err != nil {
		t.Skipf("DOCBRIDGE_TEST_POSTGRES is not a URL: %v", err)
	}
	const password = "pa55-w0rd-never-shown"
	if u.User == nil || u.User.Username() == "" {
		t.Skip("DOCBRIDGE_TEST_POSTGRES names no user")
	}
	if _, set := u.User.Password(); !set {
		u.User = url.UserPassword(u.User.Username(), password)
	}
	withPassword := u.String()
	tests := []struct {
		name, url, want string
	}{
		{"synchronous_commit off", withParam(t, withPassword, "synchronous_commit", "off"), "synchronous_commit is off"},
		{"no schema", withParam(t, withPassword, "search_path", "no_such_schema"), "no schema"},
		{"bad URL", strings.Replace(withPassword, "@", ":99999999@", 1) + "%zz", "invalid PostgreSQL URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(context.Background(), Options{Dir: o.Dir, Postgres: tc.url})
			if err == nil {
				s.Close()
				t.Fatal("Open: no error")
			}
			t.Logf("Open: %v", err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open error = %v, want it to say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("Open error quotes the password: %v", err)
			}
		})
	}
}

// TestPostgresClaimSkipsLocked: a claim skips the rows another
// transaction holds instead of waiting for them.
func TestPostgresClaimSkipsLocked(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stores := openHandles(t, postgresT, 2)
	a, b := oneDoc(t, stores[0], "a"), oneDoc(t, stores[0], "b")
	in1, in2 := accept(t, stores[0], []byte("one")), accept(t, stores[0], []byte("two"))

	// Another instance's claim in progress: rows a and in1 locked.
	tx, err := stores[0].w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT id FROM documents WHERE id = ? FOR UPDATE`, a); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT id FROM inputs WHERE id = ? FOR UPDATE`, in1.ID); err != nil {
		t.Fatal(err)
	}

	docs, err := stores[1].Claim(ctx, docbridge.Converted, time.Now(), time.Minute, 0)
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	if got := dueIDs(docs); len(got) != 1 || got[0] != b {
		t.Errorf("Claim = %v, want [%d] (%d is locked)", got, b, a)
	}
	ins, err := stores[1].ClaimInputs(ctx, time.Now(), time.Minute, 0)
	if err != nil {
		t.Fatalf("ClaimInputs: %v", err)
	}
	if got := ids(ins); len(got) != 1 || got[0] != in2.ID {
		t.Errorf("ClaimInputs = %v, want [%d] (%d is locked)", got, in2.ID, in1.ID)
	}
}
