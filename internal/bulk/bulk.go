package bulk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/sidecarname"
)

// Converter turns an input into normalised documents with its origin — the
// pipeline's Converter, the one shape of conversion; *convert.Converter
// implements it. It is pure but for reading r. origin.Name is the file's
// base name (a PDF's may carry its metadata through a filename pattern),
// origin.Sidecar the bytes of the sidecar the file takes (see
// DropSidecar), nil for none, origin.Intake is Intake and
// origin.Profiles the run's Profiles.
type Converter interface {
	Convert(r io.ReaderAt, size int64, origin docbridge.Origin) (docbridge.Format, []*docbridge.Document, error)
}

// Checker returns the identity problems of a document that no pairing can fix.
type Checker func(d *docbridge.Document) []docbridge.Problem

// Matcher finds the pairing a document may be delivered to, or says why not
// with a *docbridge.Error (NotPaired, IdentityMismatch, …).
type Matcher interface {
	Match(ctx context.Context, d *docbridge.Document) (docbridge.Pairing, error)
}

// Options configures DryRun and Run. Root and Convert are required; a dry
// run needs Check and Match too.
type Options struct {
	Root string // the archive directory
	// Index is the CSV index; "" means Root/index.csv when it exists, and
	// "-" means none. IndexCharset is its character set: CharsetAuto
	// (""), CharsetUTF8 or CharsetWindows1252.
	Index        string
	IndexCharset string
	// Profile is the run's practice profile, nil for none: it fills the
	// sidecars the index gives PDFs (see rowSidecar).
	Profile *docbridge.Profile
	// Profiles are the source profiles the converter chooses from for
	// every file, as the pipeline's for a stored input; nil means Profile
	// alone.
	Profiles docbridge.Profiles
	// ProfileFile is the file Profile was read from: when it lies in the
	// archive, it is not an input.
	ProfileFile string
	// CodeSystem returns the code system of a code of a national value set
	// ("JDV_J01"), "" when unknown; nil leaves the profile author's
	// specialty without its system.
	CodeSystem func(valueSet, code string) string
	// Invitation says what the invitations of the patients without a
	// pairing show (see WriteInvitationsHTML).
	Invitation Invitation
	// ScratchDir is where the temporary database goes (it holds patient
	// data); "" means the system's temporary directory.
	ScratchDir  string
	Concurrency int // files taken at once; 0 means GOMAXPROCS
	Convert     Converter
	Check       Checker
	Match       Matcher
	// Progress, when not nil, receives a progress bar (Terminal) or a line
	// every ProgressEvery (default 10 s). Neither carries paths.
	Progress      io.Writer
	Terminal      bool
	ProgressEvery time.Duration
}

// Result is a finished dry run or run: its Summary, and the detail rows a
// report streams. The caller must Close it.
type Result struct {
	Summary    *Summary
	invitation Invitation
	s          *scratch
	err        error // of the last Refusals, Documents or Invitees
}

// Close removes the temporary database.
func (r *Result) Close() error { return r.s.Close() }

// engine is the state of one DryRun or Run.
type engine struct {
	o     Options
	index string   // resolved index path, "" for none
	skip  []string // the run's own files: the index, the profile
	s     *scratch
	sum   *Summary
	prog  *progress
}

func newEngine(ctx context.Context, o Options, mode string) (*engine, error) {
	root, err := filepath.Abs(o.Root)
	if err != nil {
		return nil, fmt.Errorf("archive %s: %w", o.Root, err)
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("archive %s: not a readable directory", o.Root)
	}
	o.Root = root
	if o.Concurrency <= 0 {
		o.Concurrency = runtime.GOMAXPROCS(0)
	}
	e := &engine{o: o, sum: newSummary(mode, root, time.Now().UTC())}
	switch {
	case o.Index == "-":
	case o.Index != "":
		if e.index, err = filepath.Abs(o.Index); err != nil {
			return nil, fmt.Errorf("index %s: %w", o.Index, err)
		}
	case exists(filepath.Join(root, "index.csv")):
		e.index = filepath.Join(root, "index.csv")
	}
	e.skip = []string{e.index}
	if o.ProfileFile != "" {
		if p, err := filepath.Abs(o.ProfileFile); err == nil {
			e.skip = append(e.skip, p)
		}
	}
	if e.s, err = openScratch(ctx, o.ScratchDir); err != nil {
		return nil, err
	}
	e.prog = newProgress(o.Progress, o.Terminal, o.ProgressEvery)
	return e, nil
}

// loadIndex reads the CSV index into the scratch database; invalid rows are
// listed as refusals.
func (e *engine) loadIndex(ctx context.Context) error {
	if e.index == "" {
		return nil
	}
	f, err := os.Open(e.index)
	if err != nil {
		return &IndexError{Msg: "the index cannot be opened: " + ioCause(err)}
	}
	defer f.Close()
	is := &IndexSummary{File: e.index}
	e.sum.Index = is
	name := filepath.Base(e.index)
	err = ReadIndex(f, e.o.IndexCharset, func(r IndexRow) error {
		is.Rows++
		if len(r.Problems) == 0 && e.o.Check != nil {
			for _, p := range e.o.Check(&docbridge.Document{Patient: r.Patient}) {
				// Missing values are the documents' concern; wrong ones are the row's.
				if p.Severity == docbridge.SeverityError && p.Code != docbridge.MissingTrait && p.Code != docbridge.MissingINS {
					r.Problems = append(r.Problems, string(p.Code)+": "+p.Message)
				}
			}
		}
		if len(r.Problems) == 0 {
			ok, err := e.s.addIndexRow(ctx, r, rowSidecar(r, e.o.Profile, e.o.CodeSystem))
			if err != nil || ok {
				return err
			}
			r.Problems = append(r.Problems, "the file is listed on an earlier line too")
		}
		is.Invalid++
		return e.s.addRefusal(ctx, fmt.Sprintf("%s:%d", name, r.Line), IndexInvalid, "", fmt.Sprint(r.Problems))
	})
	if err != nil {
		return fmt.Errorf("index %s: %w", name, err)
	}
	return nil
}

// each walks the archive and calls fn for every file on o.Concurrency
// workers, counting progress.
func (e *engine) each(ctx context.Context, fn func(ctx context.Context, en entry) error) error {
	total, err := countFiles(ctx, e.o.Root, e.skip)
	if err != nil {
		return fmt.Errorf("walk archive: %w", err)
	}
	e.prog.start(ctx, "files", int64(total))
	defer e.prog.stop()
	g, gctx := errgroup.WithContext(ctx)
	work := make(chan entry, e.o.Concurrency)
	g.Go(func() error {
		defer close(work)
		return walk(gctx, e.o.Root, e.skip, func() { e.sum.mu.Lock(); e.sum.Sidecars++; e.sum.mu.Unlock() }, func(en entry) error {
			select {
			case work <- en:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})
	for range e.o.Concurrency {
		g.Go(func() error {
			for en := range work {
				if err := fn(gctx, en); err != nil {
					return err
				}
				e.sum.mu.Lock()
				e.sum.Files++
				e.sum.mu.Unlock()
				e.prog.add(1)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return e.s.flush()
}

// read reads a file and says whether it is the first of the archive with
// these bytes; an unreadable file or a duplicate comes back as an item.
func (e *engine) read(ctx context.Context, en entry) ([]byte, *Item, error) {
	raw, err := os.ReadFile(en.abs)
	if err != nil {
		return nil, &Item{Path: en.rel, Outcome: Unreadable, Message: readError(err)}, nil
	}
	sum := sha256.Sum256(raw)
	first, err := e.s.firstSeen(ctx, hex.EncodeToString(sum[:]))
	if err != nil {
		return nil, nil, err
	}
	if !first {
		return nil, &Item{Path: en.rel, Outcome: Duplicate, Reason: docbridge.Duplicate,
			Message: "the same bytes as another file of the archive: taken once"}, nil
	}
	return raw, nil, nil
}

// origin is what the converter knows of a file besides its bytes: its
// base name, the run's profile and, for a PDF, its sidecar file's bytes. A
// sidecar that cannot be taken (too large, empty, unreadable) comes back
// as the file's item.
func (e *engine) origin(en entry) (docbridge.Origin, *Item) {
	o := docbridge.Origin{Name: path.Base(en.rel), Intake: Intake, Profiles: e.o.Profiles}
	if o.Profiles == nil && e.o.Profile != nil {
		o.Profiles = docbridge.Profiles{*e.o.Profile}
	}
	side := sidecarOf(en.abs)
	if side == "" {
		return o, nil
	}
	b, err := ReadSidecar(side)
	if err != nil {
		return o, sidecarItem(en.rel, side, err)
	}
	o.Sidecar = b
	return o, nil
}

// record counts an item in the summary and keeps its detail rows; idxINS
// is the INS of the file's index row ("" when none).
func (e *engine) record(ctx context.Context, it Item, idxINS string) error {
	if e.sum.Index != nil && idxINS == "" && it.Doc == nil && it.Reason == docbridge.MissingMetadata && sidecarname.IsPDF(it.Path) {
		it.Message += "; the index has no row for it either: add its row to the index (or a sidecar beside it), then run the same command again"
	}
	e.sum.add(it)
	if it.Outcome.Listed() {
		if err := e.s.addRefusal(ctx, it.Path, it.Outcome, it.Reason, it.Message); err != nil {
			return err
		}
	}
	if it.Doc == nil {
		return nil
	}
	prov := ""
	if len(it.Doc.Provenance) > 0 {
		b, _ := json.Marshal(it.Doc.Provenance) // a map of strings always encodes
		prov = string(b)
	}
	if err := e.s.addDocument(ctx, it, prov); err != nil {
		return err
	}
	if idxINS != "" && it.Doc.Patient.INS != "" && idxINS != it.Doc.Patient.INS {
		e.sum.mu.Lock()
		e.sum.Index.INSDisagree++
		e.sum.mu.Unlock()
	}
	if st := patientOf(it.Outcome, it.Reason); st != noPatient && it.Doc.Patient.INS != "" {
		return e.s.addPatient(ctx, it.Doc.Patient, st == paired)
	}
	return nil
}

// joined is a file's row of the index: its INS, its line (0 when the file
// has none) and the sidecar it gives a PDF (see rowSidecar).
type joined struct {
	ins     string
	line    int
	sidecar []byte
}

// joinIndex marks the file's index row as joined and returns it.
func (e *engine) joinIndex(ctx context.Context, rel string) (joined, error) {
	if e.sum.Index == nil {
		return joined{}, nil
	}
	j, err := e.s.markIndexed(ctx, rel)
	e.sum.mu.Lock()
	if j.line > 0 {
		e.sum.Index.Joined++
	} else {
		e.sum.Index.FilesWithoutRow++
	}
	e.sum.mu.Unlock()
	return j, err
}

// finish lists the index rows no file joined, counts patients and closes
// the summary.
func (e *engine) finish(ctx context.Context) (*Result, error) {
	if e.sum.Index != nil {
		if _, err := e.s.exec(ctx, `INSERT INTO refusals (path, outcome, reason, message)
	SELECT file, ?, '', 'the index lists a file that is not in the archive' FROM idx WHERE seen = 0 ORDER BY line`, IndexExtra); err != nil {
			return nil, err
		}
	}
	if err := e.s.flush(); err != nil {
		return nil, err
	}
	if e.sum.Index != nil {
		if err := e.s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM idx WHERE seen = 0`).Scan(&e.sum.Index.RowsWithoutFile); err != nil {
			return nil, fmt.Errorf("scratch: count index rows: %w", err)
		}
	}
	p := &e.sum.Patients
	if err := e.s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(paired), 0) FROM patients`).Scan(&p.Total, &p.Paired); err != nil {
		return nil, fmt.Errorf("scratch: count patients: %w", err)
	}
	p.Unpaired = p.Total - p.Paired
	e.sum.finish(time.Now().UTC())
	return &Result{Summary: e.sum, invitation: e.o.Invitation, s: e.s}, nil
}
