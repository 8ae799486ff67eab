package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beevik/etree"
	_ "modernc.org/sqlite"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes"
)

// folderConcurrency is the drop folder's concurrency in the daemons the
// harness runs (folders[].concurrency) and the floor's number of intake
// workers; the -folder-concurrency flag sets it.
var folderConcurrency = 4

// deliveryConcurrency is docbridge's default delivery.concurrency and the
// floor's number of senders.
const deliveryConcurrency = 16

// floorCommits is how many commits the floor makes per document: the
// input's row before the file counts as taken, and the delivered state
// after MES answered. Anything more (match, audit, intermediate states) is
// docbridge's choice, not unavoidable work.
const floorCommits = 2

// floor does only the unavoidable work of a document, with the
// concurrency and batching docbridge has (folderConcurrency intake
// workers, deliveryConcurrency senders, group commit of SQLite rows and of
// directory fsyncs): read the dropped file;
// write it to a content file, hashing it with SHA-256 on the way, fsync it
// and rename it into the content folder (an fsync of that folder, grouped);
// parse it with etree and read its id; SHA-1; commit the input's row
// (group commit: WAL, synchronous=FULL, one writer connection); rename the
// file to done/ and fsync done/ and the drop folder (grouped); POST it to
// the same simulator with SHA-1 and base64 streamed into the body (mes's
// streaming writer); commit its delivered state (group commit). It counts
// its own fsyncs (in-process, exactly).
type floor struct {
	dir     string
	client  *mes.Client
	pairing docbridge.Pairing
	meta    docbridge.Document
	commits *groupCommit
	dirs    groupSync
	fsyncs  floorCounts
}

// floorCounts are the fsyncs the floor made, by kind.
type floorCounts struct{ commits, files, dirs atomic.Int64 }

func newFloor(ctx context.Context, dir string, sim *simulator, t *templates) (*floor, error) {
	for _, sub := range []string{"in", "content", "done", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	db, err := openFloorDB(ctx, filepath.Join(dir, "floor.db"))
	if err != nil {
		return nil, err
	}
	maps, err := mappings.Load("")
	if err != nil {
		db.Close()
		return nil, err
	}
	// The metadata of the floor's documents is taken once from a converted
	// document; per document only the id, size and hashes change.
	_, docs, err := convert.New(convert.Options{Mappings: maps}).Convert(bytes.NewReader(t.n1), int64(len(t.n1)), docbridge.Origin{})
	if err != nil || len(docs) != 1 {
		db.Close()
		return nil, fmt.Errorf("convert the template: %v", err)
	}
	p := pairedPatient
	p.AccessToken = sim.token
	f := &floor{dir: dir, client: mes.NewClient(mes.Options{BaseURL: sim.url, UserAgent: "floor"}),
		pairing: p, meta: *docs[0]}
	f.commits = newGroupCommit(db, &f.fsyncs.commits)
	f.dirs.count = &f.fsyncs.dirs
	return f, nil
}

func (f *floor) close() { f.commits.close() }

// openFloorDB opens the floors' SQLite database at path as docbridge opens
// its store (WAL, synchronous=FULL, one writer connection) with the one
// table q the group commit writes.
func openFloorDB(ctx context.Context, path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=synchronous(FULL)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, fmt.Errorf("open floor db: %w", err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS q (id INTEGER PRIMARY KEY, doc TEXT, step INTEGER, at INTEGER)`); err != nil {
		db.Close()
		return nil, fmt.Errorf("create floor table: %w", err)
	}
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		db.Close()
		return nil, fmt.Errorf("floor db: journal_mode %q, %v", mode, err)
	}
	return db, nil
}

// run processes the files of names (already in in/) and returns the
// elapsed time, and the time until the last file was in done/ (the
// intake alone): folderConcurrency workers take the files in, as the drop
// folder does, and hand each document to deliveryConcurrency senders, as
// the deliver stage does.
func (f *floor) run(ctx context.Context, names []string) (elapsed, intake time.Duration, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	start := time.Now()
	work := make(chan string)
	sends := make(chan floorDoc, len(names))
	var takers, senders sync.WaitGroup
	for range folderConcurrency {
		takers.Add(1)
		go func() {
			defer takers.Done()
			for name := range work {
				d, err := f.take(ctx, name)
				if err != nil {
					cancel(fmt.Errorf("floor %s: %w", name, err))
					return
				}
				sends <- d
			}
		}()
	}
	for range deliveryConcurrency {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for d := range sends {
				if err := f.send(ctx, d); err != nil {
					cancel(fmt.Errorf("floor send %s: %w", d.doc.UniqueID, err))
					return
				}
			}
		}()
	}
feed:
	for _, name := range names {
		select {
		case work <- name:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	takers.Wait()
	intake = time.Since(start)
	close(sends)
	senders.Wait()
	if err := context.Cause(ctx); err != nil {
		return 0, 0, err
	}
	return time.Since(start), intake, nil
}

// floorDoc is a document taken in, on its way to the simulator.
type floorDoc struct {
	doc docbridge.Document
	raw []byte
}

// take is the intake's unavoidable work: durable content, the header,
// the input's row, the file moved out of the folder durably.
func (f *floor) take(ctx context.Context, name string) (floorDoc, error) {
	src := filepath.Join(f.dir, "in", name)
	raw, err := os.ReadFile(src)
	if err != nil {
		return floorDoc{}, err
	}
	// Durable content, content-addressed.
	tmp := filepath.Join(f.dir, "tmp", name)
	h256 := sha256.New()
	tf, err := os.Create(tmp)
	if err != nil {
		return floorDoc{}, err
	}
	if _, err := io.Copy(io.MultiWriter(tf, h256), bytes.NewReader(raw)); err != nil {
		tf.Close()
		return floorDoc{}, err
	}
	f.fsyncs.files.Add(1)
	if err := tf.Sync(); err != nil {
		tf.Close()
		return floorDoc{}, err
	}
	tf.Close()
	sum256 := hex.EncodeToString(h256.Sum(nil))
	if err := os.Rename(tmp, filepath.Join(f.dir, "content", sum256)); err != nil {
		return floorDoc{}, err
	}
	if err := f.dirs.sync(filepath.Join(f.dir, "content")); err != nil {
		return floorDoc{}, err
	}
	// The header.
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		return floorDoc{}, err
	}
	id := doc.FindElement("/ClinicalDocument/id")
	if id == nil {
		return floorDoc{}, fmt.Errorf("no id")
	}
	sum1 := sha1.Sum(raw)
	d := f.meta
	d.UniqueID = "urn:oid:" + id.SelectAttrValue("root", "")
	d.Size, d.SHA1, d.SHA256 = int64(len(raw)), hex.EncodeToString(sum1[:]), sum256
	// The input's row, then the file out of the folder, durably.
	if err := f.commits.add(ctx, d.UniqueID, 0); err != nil {
		return floorDoc{}, err
	}
	if err := os.Rename(src, filepath.Join(f.dir, "done", name)); err != nil {
		return floorDoc{}, err
	}
	for _, dir := range []string{"done", "in"} {
		if err := f.dirs.sync(filepath.Join(f.dir, dir)); err != nil {
			return floorDoc{}, err
		}
	}
	return floorDoc{doc: d, raw: raw}, nil
}

// send is the delivery's unavoidable work: the POST, and its outcome's
// row.
func (f *floor) send(ctx context.Context, d floorDoc) error {
	if _, err := f.client.Deliver(ctx, &d.doc, bytes.NewReader(d.raw), f.pairing); err != nil {
		return err
	}
	return f.commits.add(ctx, d.doc.UniqueID, floorCommits-1)
}

// groupCommit commits rows to SQLite in batches: a row waits while a
// commit runs, and the rows that waited go in the next one (what
// docbridge's store does for concurrent writers).
type groupCommit struct {
	db      *sql.DB
	count   *atomic.Int64
	reqs    chan commitReq
	stopped chan struct{}
}

type commitReq struct {
	doc  string
	step int
	done chan error
}

func newGroupCommit(db *sql.DB, count *atomic.Int64) *groupCommit {
	g := &groupCommit{db: db, count: count, reqs: make(chan commitReq), stopped: make(chan struct{})}
	go g.loop()
	return g
}

// add commits one row; it returns once the row is durable.
func (g *groupCommit) add(ctx context.Context, doc string, step int) error {
	r := commitReq{doc: doc, step: step, done: make(chan error, 1)}
	select {
	case g.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-r.done
}

func (g *groupCommit) loop() {
	defer close(g.stopped)
	for r := range g.reqs {
		batch := []commitReq{r}
	more:
		for {
			select {
			case r, ok := <-g.reqs:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		err := g.commit(batch)
		for _, r := range batch {
			r.done <- err
		}
	}
}

func (g *groupCommit) commit(batch []commitReq) error {
	tx, err := g.db.Begin()
	if err != nil {
		return err
	}
	for _, r := range batch {
		if _, err := tx.Exec(`INSERT INTO q (doc, step, at) VALUES (?, ?, ?)`, r.doc, r.step, time.Now().UnixNano()); err != nil {
			tx.Rollback()
			return err
		}
	}
	g.count.Add(1)
	return tx.Commit()
}

// close stops the committer (no add may be running) and closes the
// database.
func (g *groupCommit) close() {
	close(g.reqs)
	<-g.stopped
	g.db.Close()
}

// groupSync fsyncs directories, sharing one fsync among the callers that
// ask while one runs: a caller returns once an fsync that began after its
// call has finished (docbridge's watch.dirSyncer).
type groupSync struct {
	mu    sync.Mutex
	dirs  map[string]*dirTurn
	count *atomic.Int64
}

type dirTurn struct {
	run          sync.Mutex
	issued, done uint64
	err          error
}

func (g *groupSync) sync(dir string) error {
	g.mu.Lock()
	if g.dirs == nil {
		g.dirs = map[string]*dirTurn{}
	}
	d := g.dirs[dir]
	if d == nil {
		d = &dirTurn{}
		g.dirs[dir] = d
	}
	d.issued++
	ticket := d.issued
	g.mu.Unlock()
	d.run.Lock()
	defer d.run.Unlock()
	g.mu.Lock()
	if d.done >= ticket {
		err := d.err
		g.mu.Unlock()
		return err
	}
	covers := d.issued
	g.mu.Unlock()
	g.count.Add(1)
	err := syncDir(dir)
	g.mu.Lock()
	d.done, d.err = covers, err
	g.mu.Unlock()
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
