package bulk

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the scratch database

	"github.com/docbridge/docbridge"
)

// scratch is the temporary SQLite database that keeps the per-file,
// per-patient and per-refusal rows out of memory. It holds patient data:
// it lives in a 0700 directory and Close removes it. Writes go through
// one long transaction committed every commitEvery operations; it is safe
// for concurrent use.
type scratch struct {
	dir string
	db  *sql.DB

	stmts map[string]*sql.Stmt // by query

	mu  sync.Mutex
	tx  *sql.Tx
	ops int
}

const commitEvery = 2000

// The hot statements, prepared once on the scratch's one connection.
const (
	qFirstSeen     = `INSERT INTO shas (sha) VALUES (?) ON CONFLICT DO NOTHING`
	qAddFile       = `INSERT INTO files (path, input_id, idx_ins, format, outcome, reason, message) VALUES (?, ?, ?, ?, ?, ?, ?)`
	qAddIndexRow   = `INSERT INTO idx (file, line, ins, sidecar, seen) VALUES (?, ?, ?, ?, 0) ON CONFLICT DO NOTHING`
	qMarkIndexed   = `UPDATE idx SET seen = 1 WHERE file = ? RETURNING ins, line, sidecar`
	qAddPrediction = `INSERT INTO predicted (path, unique_id, outcome, reason) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`
	qAddDocument   = `INSERT INTO documents (path, unique_id, outcome, reason, message, provenance) VALUES (?, ?, ?, ?, ?, ?)`
	qAddRefusal    = `INSERT INTO refusals (path, outcome, reason, message) VALUES (?, ?, ?, ?)`
	qAddPatient    = `INSERT INTO patients (ins, ins_system, birth_name, first_names, birth_date, sex, birth_place, paired, docs)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
	ON CONFLICT (ins) DO UPDATE SET docs = docs + 1, paired = MAX(paired, excluded.paired)`
)

const scratchSchema = `
CREATE TABLE files (id INTEGER PRIMARY KEY, path TEXT NOT NULL, input_id INTEGER NOT NULL, idx_ins TEXT NOT NULL,
	format TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL, message TEXT NOT NULL);
CREATE TABLE shas (sha TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE idx (file TEXT PRIMARY KEY, line INTEGER NOT NULL, ins TEXT NOT NULL, sidecar BLOB NOT NULL,
	seen INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE predicted (path TEXT NOT NULL, unique_id TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL,
	PRIMARY KEY (path, unique_id)) WITHOUT ROWID;
CREATE TABLE documents (id INTEGER PRIMARY KEY, path TEXT NOT NULL, unique_id TEXT NOT NULL, outcome TEXT NOT NULL,
	reason TEXT NOT NULL, message TEXT NOT NULL, provenance TEXT NOT NULL);
CREATE TABLE patients (ins TEXT PRIMARY KEY, ins_system TEXT NOT NULL, birth_name TEXT NOT NULL,
	first_names TEXT NOT NULL, birth_date TEXT NOT NULL, sex TEXT NOT NULL, birth_place TEXT NOT NULL,
	paired INTEGER NOT NULL, docs INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE refusals (id INTEGER PRIMARY KEY, path TEXT NOT NULL, outcome TEXT NOT NULL,
	reason TEXT NOT NULL, message TEXT NOT NULL);
`

// staleScratch is how long a scratch database left by a process that died
// stays unmodified before the next bulk command removes it: it holds
// patient data, which must not linger.
const staleScratch = time.Hour

// openScratch creates the scratch database in a new directory under parent
// ("" means the system's temporary directory), after removing the stale
// ones a killed run left there.
func openScratch(ctx context.Context, parent string) (*scratch, error) {
	if parent != "" {
		if err := os.MkdirAll(parent, 0o700); err != nil {
			return nil, fmt.Errorf("create scratch parent: %w", err)
		}
		removeStaleScratch(parent, time.Now())
	}
	dir, err := os.MkdirTemp(parent, "docbridge-bulk-")
	if err != nil {
		return nil, fmt.Errorf("create scratch directory: %w", err)
	}
	dsn := "file:" + filepath.Join(dir, "scratch.db") +
		"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=cache_size(-8000)&_pragma=temp_store(FILE)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("open scratch database: %w", err)
	}
	db.SetMaxOpenConns(1)
	s := &scratch{dir: dir, db: db, stmts: map[string]*sql.Stmt{}}
	if _, err := db.ExecContext(ctx, scratchSchema); err != nil {
		s.Close()
		return nil, fmt.Errorf("create scratch schema: %w", err)
	}
	for _, q := range []string{qFirstSeen, qAddFile, qAddIndexRow, qMarkIndexed, qAddRefusal, qAddPatient, qAddDocument, qAddPrediction} {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("prepare scratch statement: %w", err)
		}
		s.stmts[q] = st
	}
	return s, nil
}

// removeStaleScratch removes the scratch directories under parent whose
// database was not written for staleScratch.
func removeStaleScratch(parent string, now time.Time) {
	dirs, _ := filepath.Glob(filepath.Join(parent, "docbridge-bulk-*"))
	for _, d := range dirs {
		fi, err := os.Stat(filepath.Join(d, "scratch.db"))
		if err == nil && now.Sub(fi.ModTime()) < staleScratch {
			continue
		}
		if di, err := os.Stat(d); err == nil && now.Sub(di.ModTime()) >= staleScratch {
			os.RemoveAll(d)
		}
	}
}

// Close drops the scratch database and its directory.
func (s *scratch) Close() error {
	s.mu.Lock()
	if s.tx != nil {
		s.tx.Rollback()
		s.tx = nil
	}
	s.mu.Unlock()
	err := s.db.Close()
	if rerr := os.RemoveAll(s.dir); err == nil {
		err = rerr
	}
	return err
}

// exec runs one write in the current transaction.
func (s *scratch) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.beginLocked(ctx); err != nil {
		return nil, err
	}
	var res sql.Result
	var err error
	if st := s.stmts[q]; st != nil {
		res, err = s.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	} else {
		res, err = s.tx.ExecContext(ctx, q, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("scratch: %s: %w", strings.Fields(q)[0], err)
	}
	if s.ops++; s.ops >= commitEvery {
		return res, s.commitLocked()
	}
	return res, nil
}

// beginLocked opens the write transaction if none is open.
func (s *scratch) beginLocked(ctx context.Context) error {
	if s.tx == nil {
		// The transaction outlives the call that opens it: it must not
		// be rolled back when that call's context ends.
		tx, err := s.db.BeginTx(context.WithoutCancel(ctx), nil)
		if err != nil {
			return fmt.Errorf("scratch: begin: %w", err)
		}
		s.tx = tx
	}
	return nil
}

// flush commits pending writes; reads go to s.db after a flush.
func (s *scratch) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commitLocked()
}

func (s *scratch) commitLocked() error {
	s.ops = 0
	if s.tx == nil {
		return nil
	}
	err := s.tx.Commit()
	s.tx = nil
	if err != nil {
		return fmt.Errorf("scratch: commit: %w", err)
	}
	return nil
}

// firstSeen records sha and reports whether no file of the archive had
// these bytes before.
func (s *scratch) firstSeen(ctx context.Context, sha string) (bool, error) {
	res, err := s.exec(ctx, qFirstSeen, sha)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// addFile records a walked file of the real run: its input id, or the
// outcome it already has (unreadable, duplicate, refused before the store).
func (s *scratch) addFile(ctx context.Context, it Item, inputID int64, idxINS string) error {
	_, err := s.exec(ctx, qAddFile,
		it.Path, inputID, idxINS, it.Format, it.Outcome, it.Reason, it.Message)
	return err
}

// addIndexRow records a valid row of the CSV index with the sidecar it
// gives a PDF; it reports false when the file was listed before.
func (s *scratch) addIndexRow(ctx context.Context, r IndexRow, sidecar []byte) (bool, error) {
	res, err := s.exec(ctx, qAddIndexRow, r.File, r.Line, r.Patient.INS, sidecar)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// markIndexed marks the index row of file as joined and returns it; the
// row's line is 0 when there is none.
func (s *scratch) markIndexed(ctx context.Context, file string) (joined, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.beginLocked(ctx); err != nil {
		return joined{}, err
	}
	var j joined
	err := s.tx.StmtContext(ctx, s.stmts[qMarkIndexed]).QueryRowContext(ctx, file).Scan(&j.ins, &j.line, &j.sidecar)
	if err == sql.ErrNoRows {
		return joined{}, nil
	}
	if err != nil {
		return joined{}, fmt.Errorf("scratch: join index: %w", err)
	}
	return j, nil
}

// addPrediction keeps what the dry run's rules said of a document of the
// run (see agree.go).
func (s *scratch) addPrediction(ctx context.Context, path, uniqueID string, o Outcome, r docbridge.Reason) error {
	_, err := s.exec(ctx, qAddPrediction, path, uniqueID, o, r)
	return err
}

// predictions reads the predictions of the files with ids in (after,
// upto]; the caller flushes first.
func (s *scratch) predictions(ctx context.Context, after, upto int64) (map[string]prediction, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT p.path, p.unique_id, p.outcome, p.reason FROM predicted p
	WHERE p.path IN (SELECT path FROM files WHERE id > ? AND id <= ?)`, after, upto)
	if err != nil {
		return nil, fmt.Errorf("scratch: read predictions: %w", err)
	}
	defer rows.Close()
	out := map[string]prediction{}
	for rows.Next() {
		var path, uid string
		var p prediction
		if err := rows.Scan(&path, &uid, &p.outcome, &p.reason); err != nil {
			return nil, fmt.Errorf("scratch: read predictions: %w", err)
		}
		out[predKey(path, uid)] = p
		if _, ok := out[predKey(path, anyDocument)]; !ok {
			out[predKey(path, anyDocument)] = p
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("scratch: read predictions: %w", err)
	}
	return out, nil
}

// addDocument lists a document of the report with where its fields came
// from (provenance as JSON, "" when all came from the file).
func (s *scratch) addDocument(ctx context.Context, it Item, provenance string) error {
	_, err := s.exec(ctx, qAddDocument, it.Path, it.Doc.UniqueID, it.Outcome, it.Reason, it.Message, provenance)
	return err
}

// addRefusal lists an item in the report's refusals.
func (s *scratch) addRefusal(ctx context.Context, path string, o Outcome, r docbridge.Reason, msg string) error {
	_, err := s.exec(ctx, qAddRefusal, path, o, r, msg)
	return err
}

// addPatient counts a document of patient p; a patient is paired as soon as
// one of their documents was.
func (s *scratch) addPatient(ctx context.Context, p docbridge.Patient, isPaired bool) error {
	_, err := s.exec(ctx, qAddPatient,
		p.INS, p.INSSystem, p.BirthName, strings.Join(p.FirstNames, " "), p.BirthDate, p.Sex, p.BirthPlace, isPaired)
	return err
}

// resetResults empties the refusals and patients (before a final pass).
func (s *scratch) resetResults(ctx context.Context) error {
	if _, err := s.exec(ctx, `DELETE FROM refusals WHERE outcome NOT IN (?, ?)`, IndexInvalid, IndexExtra); err != nil {
		return err
	}
	if _, err := s.exec(ctx, `DELETE FROM documents`); err != nil {
		return err
	}
	_, err := s.exec(ctx, `DELETE FROM patients`)
	return err
}
