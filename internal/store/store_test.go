package store

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store/storetest"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sortStrings compares string slices as sets.
var sortStrings = cmpopts.SortSlices(func(a, b string) bool { return a < b })

// testEngine opens stores of one engine in tests.
type testEngine struct {
	name string
	// fresh returns the options of a new, empty store: a data directory
	// and, for PostgreSQL, a schema of its own. Opening them several times
	// gives several handles on one store, as several processes have.
	fresh func(t testing.TB) Options
}

var (
	sqliteT   = testEngine{"sqlite", func(t testing.TB) Options { return Options{Dir: t.TempDir()} }}
	postgresT = testEngine{"postgres", func(t testing.TB) Options {
		return Options{Postgres: storetest.Postgres(t), Dir: t.TempDir()}
	}}
)

// open opens a store with o, on a fresh store of the engine when o names
// no data directory, and closes it at cleanup. It is an opener.
func (e testEngine) open(t *testing.T, o Options) *Store {
	t.Helper()
	if o.Dir == "" {
		f := e.fresh(t)
		o.Dir, o.Postgres = f.Dir, f.Postgres
	}
	return openTest(t, o)
}

// forEachEngine runs fn as one subtest per engine. The PostgreSQL subtest
// is skipped unless DOCBRIDGE_TEST_POSTGRES names a database.
func forEachEngine(t *testing.T, fn func(t *testing.T, e testEngine)) {
	for _, e := range []testEngine{sqliteT, postgresT} {
		t.Run(e.name, func(t *testing.T) {
			if e.name == postgresT.name && !storetest.Enabled() {
				t.Skip(storetest.SkipMessage)
			}
			fn(t, e)
		})
	}
}

// opener opens a store for a test, fresh when o names no data directory,
// and closes it at cleanup.
type opener func(t *testing.T, o Options) *Store

// openTest opens the store o names and closes it at cleanup.
func openTest(t testing.TB, o Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// openSQLiteTest is the opener of the SQLite engine, for the tests of what
// only SQLite does.
func openSQLiteTest(t *testing.T, o Options) *Store {
	t.Helper()
	return sqliteT.open(t, o)
}

// TestStore runs the behavioural suite against every engine.
func TestStore(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) { testStore(t, e.open) })
}

// testStore is the behavioural suite every engine must pass.
func testStore(t *testing.T, open opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, opener)
	}{
		{"Accept", testAccept},
		{"AcceptTooLarge", testAcceptTooLarge},
		{"AcceptReadError", testAcceptReadError},
		{"AcceptConcurrent", testAcceptConcurrent},
		{"AcceptConverted", testAcceptConverted},
		{"AcceptConvertedDuplicate", testAcceptConvertedDuplicate},
		{"AcceptConvertedRefused", testAcceptConvertedRefused},
		{"ContentDedup", testContentDedup},
		{"Content", testContent},
		{"RecordConversion", testRecordConversion},
		{"RecordConversionIdempotent", testRecordConversionIdempotent},
		{"RecordConversionExisting", testRecordConversionExisting},
		{"RecordConversionInvalid", testRecordConversionInvalid},
		{"RecordConversionInputState", testRecordConversionInputState},
		{"FailInput", testFailInput},
		{"Transition", testTransition},
		{"TransitionConflict", testTransitionConflict},
		{"Due", testDue},
		{"Claim", testClaim},
		{"ClaimInputs", testClaimInputs},
		{"AcceptSidecar", testAcceptSidecar},
		{"Versions", testVersions},
		{"AcceptConvertedResend", testAcceptConvertedResend},
		{"Reconvert", testReconvert},
		{"History", testHistory},
		{"Documents", testDocuments},
		{"DocumentsSelect", testDocumentsSelect},
		{"Pairings", testPairings},
		{"PairingByINS", testPairingByINS},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 3, 29, 1, 30, 0, 123456789, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// envelope returns an envelope carrying body.
func envelope(body []byte) *docbridge.Envelope {
	return &docbridge.Envelope{Intake: "drop", Source: "in/a.xml", MessageID: "MSG1", Body: bytes.NewReader(body)}
}

// acceptInput stores e without converting it (AcceptConverted with no
// converter): the input stays received.
func acceptInput(ctx context.Context, s *Store, e *docbridge.Envelope) (docbridge.Accepted, error) {
	c, err := s.AcceptConverted(ctx, e, nil)
	return c.Accepted, err
}

// accept accepts body and fails the test on error.
func accept(t *testing.T, s *Store, body []byte) docbridge.Accepted {
	t.Helper()
	a, err := acceptInput(context.Background(), s, envelope(body))
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	return a
}

// hexSHA256 returns the hex SHA-256 of b.
func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// newDoc returns a document with the given uniqueId and content, its size
// and hashes filled in.
func newDoc(uniqueID, content string) *docbridge.Document {
	c := []byte(content)
	s1 := sha1.Sum(c)
	return &docbridge.Document{
		UniqueID:    uniqueID,
		Action:      docbridge.Create,
		Type:        docbridge.Coding{System: "http://loinc.org", Code: "11502-2", Display: "CR d'examens biologiques"},
		Class:       docbridge.Coding{System: "urn:oid:1.2.250.1.213.1.1.4.1", Code: "10"},
		Title:       "Compte rendu",
		Creation:    "2026-03-28T10:00:00+01:00",
		Language:    "fr-FR",
		ContentType: "text/xml",
		Size:        int64(len(c)),
		SHA1:        hex.EncodeToString(s1[:]),
		SHA256:      hexSHA256(c),
		Patient: docbridge.Patient{INS: "279035121518989", INSSystem: "urn:oid:1.2.250.1.213.1.4.10",
			BirthName: "TEST", FirstNames: []string{"Nathalie"}, BirthDate: "1979-03-12", Sex: "F", BirthPlace: "51215"},
		Authors:  []docbridge.Author{{ID: "810002673899", Name: "Dr Test"}},
		Problems: []docbridge.Problem{},
		Content:  c,
	}
}

// converted accepts body and records docs for it, returning the refs.
func converted(t *testing.T, s *Store, body string, docs ...NewDocument) (int64, []DocRef) {
	t.Helper()
	a := accept(t, s, []byte(body))
	refs, err := s.RecordConversion(context.Background(), a.ID, docs)
	if err != nil {
		t.Fatalf("RecordConversion: %v", err)
	}
	return a.ID, refs
}

// oneDoc records one document in state Converted and returns its id.
func oneDoc(t *testing.T, s *Store, uniqueID string) int64 {
	t.Helper()
	_, refs := converted(t, s, "input of "+uniqueID,
		NewDocument{Doc: newDoc(uniqueID, "content of "+uniqueID), State: docbridge.Converted})
	return refs[0].ID
}

// transition applies tr and fails the test on error.
func transition(t *testing.T, s *Store, tr Transition) {
	t.Helper()
	if err := s.Transition(context.Background(), tr); err != nil {
		t.Fatalf("Transition: %v", err)
	}
}

// document reads a document row and fails the test on error.
func document(t *testing.T, s *Store, id int64) DocRow {
	t.Helper()
	d, err := s.Document(context.Background(), id)
	if err != nil {
		t.Fatalf("Document(%d): %v", id, err)
	}
	return d
}

// files returns the regular files under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return out
}

// inlineContents returns the hex SHA-256 of every content stored inside
// the database.
func inlineContents(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.r.QueryContext(context.Background(), `SELECT sha256 FROM contents`)
	if err != nil {
		t.Fatalf("list contents: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			t.Fatalf("list contents: %v", err)
		}
		out = append(out, sha)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("list contents: %v", err)
	}
	return out
}
