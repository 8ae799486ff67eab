package store

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/google/go-cmp/cmp"
)

// Tests of opening, reopening and sharing a store, on every engine.

func TestFileModes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		o := e.fresh(t)
		dir := filepath.Join(o.Dir, "data")
		o.Dir = dir
		s := e.open(t, o)
		converted(t, s, "input", NewDocument{Doc: newDoc("urn:oid:1", "content"), State: docbridge.Converted})
		seen := map[string]bool{}
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			seen[rel] = true
			want := fs.FileMode(0o600)
			if d.IsDir() {
				want = 0o700
			}
			if got := info.Mode().Perm(); got != want {
				t.Errorf("%s: mode %v, want %v", rel, got, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{".", contentDir, tmpDir}
		if e.name == sqliteT.name {
			want = append(want, dbFile, dbFile+"-wal", dbFile+"-shm")
		} else if seen[dbFile] {
			t.Errorf("%s exists with the PostgreSQL engine", dbFile)
		}
		for _, name := range want {
			if !seen[name] {
				t.Errorf("%s does not exist", name)
			}
		}
	})
}

func TestReopen(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := context.Background()
		clk := newClock()
		o := e.fresh(t)
		o.Now = clk.Now
		s, err := Open(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		inputID, refs := converted(t, s, "input",
			NewDocument{Doc: newDoc("urn:oid:1", "one"), State: docbridge.Converted},
			NewDocument{Doc: newDoc("urn:oid:2", "two"), State: docbridge.Review, Reason: docbridge.MissingINS})
		pending := accept(t, s, []byte("pending"))
		transition(t, s, Transition{ID: refs[0].ID, From: docbridge.Converted, To: docbridge.Held,
			Reason: docbridge.MESUnavailable, Attempted: true, NextAttempt: clk.Now().Add(time.Hour), PairingID: "p1"})
		if err := s.PutPairing(ctx, pairing("p1", "1", time.Time{})); err != nil {
			t.Fatal(err)
		}
		type snapshot struct {
			Inputs   []Input
			Docs     []DocRow
			History  []Event
			Pairings []docbridge.Pairing
			Content  string
		}
		snap := func(s *Store) snapshot {
			in1, err1 := s.Input(ctx, inputID)
			in2, err2 := s.Input(ctx, pending.ID)
			docs, err3 := s.Documents(ctx, Filter{})
			h, err4 := s.History(ctx, refs[0].ID)
			p, err5 := s.Pairings(ctx)
			c, err6 := s.ReadContent(docs[1].SHA256)
			for _, err := range []error{err1, err2, err3, err4, err5, err6} {
				if err != nil {
					t.Fatal(err)
				}
			}
			return snapshot{[]Input{in1, in2}, docs, h, p, string(c)}
		}
		before := snap(s)
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		o.Now = nil
		s2 := openTest(t, o)
		if diff := cmp.Diff(before, snap(s2)); diff != "" {
			t.Errorf("after reopening (-before +after):\n%s", diff)
		}
		var v int
		if err := s2.r.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil || v != schemaVersion() {
			t.Errorf("schema version = %d, %v; want %d", v, err, schemaVersion())
		}
	})
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		o := e.fresh(t)
		s := openTest(t, o)
		if _, err := s.w.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, schemaVersion()+1); err != nil {
			t.Fatal(err)
		}
		if s2, err := Open(context.Background(), o); err == nil {
			s2.Close()
			t.Errorf("Open of a newer schema: no error")
		}
	})
}

func TestOpenRemovesStaleTemps(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		o := e.fresh(t)
		s := openTest(t, o)
		s.Close()
		stale, fresh := filepath.Join(o.Dir, tmpDir, "content-stale"), filepath.Join(o.Dir, tmpDir, "content-fresh")
		for _, p := range []string{stale, fresh} {
			if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		old := time.Now().Add(-2 * staleTemp)
		if err := os.Chtimes(stale, old, old); err != nil {
			t.Fatal(err)
		}
		openTest(t, o)
		if _, err := os.Stat(stale); !os.IsNotExist(err) {
			t.Errorf("stale temp file still there (%v)", err)
		}
		if _, err := os.Stat(fresh); err != nil {
			t.Errorf("fresh temp file removed: %v", err)
		}
	})
}

// TestTwoProcesses opens one store twice (two pools on the database, as
// serve and an operations command would have) and writes through both at
// once: on SQLite, IMMEDIATE transactions and busy_timeout must serialise
// them without SQLITE_BUSY errors; on PostgreSQL, the audit chain lock.
func TestTwoProcesses(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		o := e.fresh(t)
		stores := []*Store{openTest(t, o), openTest(t, o)}
		const n = 20
		errs := make(chan error, 2*n)
		var wg sync.WaitGroup
		for w, s := range stores {
			wg.Go(func() {
				for i := range n {
					body := fmt.Appendf(nil, "writer %d input %d", w, i)
					a, err := acceptInput(context.Background(), s, envelope(body))
					if err == nil {
						_, err = s.RecordConversion(context.Background(), a.ID, []NewDocument{
							{Doc: newDoc(string(body), string(body)+" doc"), State: docbridge.Converted}})
					}
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("concurrent write: %v", err)
			}
		}
		if c, err := stores[1].Counts(context.Background()); err != nil || c[docbridge.Converted] != 2*n {
			t.Errorf("Counts = %v, %v; want %d converted", c, err, 2*n)
		}
		if _, err := stores[0].VerifyAudit(context.Background(), nil); err != nil {
			t.Errorf("VerifyAudit: %v", err)
		}
	})
}

// TestMigrationsInStep: both engines have the same schema versions.
func TestMigrationsInStep(t *testing.T) {
	if got, want := len(pgMigrations), len(sqliteMigrations); got != want {
		t.Errorf("PostgreSQL has %d migrations, SQLite %d: add each step to both", got, want)
	}
}

// olderEngine is an engine that knows only its first n migrations, as an
// older docbridge did.
type olderEngine struct {
	engine
	n int
}

func (e olderEngine) migrations() []string { return e.engine.migrations()[:e.n] }

// TestMigrateFromOlder: a store written by the docbridge before the
// sidecar and input leases (schema version 4) opens with its inputs intact,
// without a sidecar and claimable.
func TestMigrateFromOlder(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := context.Background()
		o := e.fresh(t)
		var eng engine = &sqliteEngine{}
		if o.Postgres != "" {
			eng = &pgEngine{url: o.Postgres}
		}
		old := &Store{dir: o.Dir, now: time.Now, eng: olderEngine{eng, 4}}
		if err := old.makeDirs(); err != nil {
			t.Fatal(err)
		}
		if err := old.eng.open(ctx, old); err != nil {
			t.Fatalf("open at version 4: %v", err)
		}
		_, err := old.w.Exec(`INSERT INTO inputs (intake, source, message_id, sha256, size, received_at, state, reason, message, updated_at)
	VALUES ('drop', 'a.pdf', '', ?, 3, 1, 'received', '', '', 1)`, hexSHA256([]byte("old")))
		if err != nil {
			t.Fatal(err)
		}
		old.Close()

		s := openTest(t, o)
		var v int
		if err := s.r.QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil || v != schemaVersion() {
			t.Errorf("schema version = %d, %v; want %d", v, err, schemaVersion())
		}
		in, err := s.ClaimInputs(ctx, time.Now(), time.Minute, 0)
		if err != nil || len(in) != 1 || in[0].Source != "a.pdf" || in[0].Sidecar != nil {
			t.Errorf("ClaimInputs after the migration = %+v, %v; want the old input, without a sidecar", in, err)
		}
	})
}
