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
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/beevik/etree"
	_ "modernc.org/sqlite"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes"
)

// floor does only the unavoidable work of one document, one document after
// another: read the dropped file; write it to a content file, hashing it
// with SHA-256 on the way, and make it durable (the fsyncs of files and
// directories docbridge makes); parse it with etree and read its id;
// SHA-1; the same number of SQLite commits as docbridge (WAL,
// synchronous=FULL, one writer connection, a tiny row each); the POST to
// the same simulator with SHA-1 and base64 streamed into the body (mes's
// streaming writer, the one cheap way to send); the rename of the dropped
// file out of the folder.
type floor struct {
	dir     string
	db      *sql.DB
	client  *mes.Client
	pairing docbridge.Pairing
	meta    docbridge.Document
	counts  syncCounts
}

func newFloor(ctx context.Context, dir string, sim *simulator, t *templates, counts syncCounts) (*floor, error) {
	for _, sub := range []string{"in", "content", "done", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	dsn := "file:" + filepath.Join(dir, "floor.db") + "?_pragma=busy_timeout(5000)&_pragma=synchronous(FULL)&_pragma=journal_mode(WAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open floor db: %w", err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS q (id INTEGER PRIMARY KEY, doc TEXT, step INTEGER, at INTEGER)`); err != nil {
		return nil, fmt.Errorf("create floor table: %w", err)
	}
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		return nil, fmt.Errorf("floor db: journal_mode %q, %v", mode, err)
	}
	maps, err := mappings.Load("")
	if err != nil {
		return nil, err
	}
	// The metadata of the floor's documents is taken once from a converted
	// document; per document only the id, size and hashes change.
	_, docs, err := convert.New(convert.Options{Mappings: maps}).Convert(bytes.NewReader(t.n1), int64(len(t.n1)), docbridge.Origin{})
	if err != nil || len(docs) != 1 {
		return nil, fmt.Errorf("convert the template: %v", err)
	}
	p := pairedPatient
	p.AccessToken = sim.token
	return &floor{dir: dir, db: db, client: mes.NewClient(mes.Options{BaseURL: sim.url, UserAgent: "floor"}),
		pairing: p, meta: *docs[0], counts: counts}, nil
}

func (f *floor) close() { f.db.Close() }

// run processes the files of docs (already in in/) and returns the
// elapsed time.
func (f *floor) run(ctx context.Context, names []string) (time.Duration, error) {
	files := int(math.Round(f.counts.Files))
	dirs := int(math.Round(f.counts.Dirs))
	commits := int(math.Round(f.counts.Commits))
	start := time.Now()
	for _, name := range names {
		if err := f.one(ctx, name, files, dirs, commits); err != nil {
			return 0, fmt.Errorf("floor %s: %w", name, err)
		}
	}
	return time.Since(start), nil
}

func (f *floor) one(ctx context.Context, name string, files, dirs, commits int) error {
	src := filepath.Join(f.dir, "in", name)
	raw, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	// Durable content, content-addressed.
	tmp := filepath.Join(f.dir, "tmp", name)
	h256 := sha256.New()
	tf, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := io.Copy(io.MultiWriter(tf, h256), bytes.NewReader(raw)); err != nil {
		return err
	}
	for i := 0; i < max(files, 1); i++ {
		if err := tf.Sync(); err != nil {
			return err
		}
	}
	tf.Close()
	sum256 := hex.EncodeToString(h256.Sum(nil))
	if err := os.Rename(tmp, filepath.Join(f.dir, "content", sum256)); err != nil {
		return err
	}
	// The header.
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		return err
	}
	id := doc.FindElement("/ClinicalDocument/id")
	if id == nil {
		return fmt.Errorf("no id")
	}
	sum1 := sha1.Sum(raw)
	d := f.meta
	d.UniqueID = "urn:oid:" + id.SelectAttrValue("root", "")
	d.Size, d.SHA1, d.SHA256 = int64(len(raw)), hex.EncodeToString(sum1[:]), sum256
	// The commits.
	for i := 0; i < commits; i++ {
		if _, err := f.db.ExecContext(ctx, `INSERT INTO q (doc, step, at) VALUES (?, ?, ?)`, d.UniqueID, i, time.Now().UnixNano()); err != nil {
			return err
		}
	}
	// The send.
	if _, err := f.client.Deliver(ctx, &d, bytes.NewReader(raw), f.pairing); err != nil {
		return err
	}
	if err := os.Rename(src, filepath.Join(f.dir, "done", name)); err != nil {
		return err
	}
	for i := 0; i < dirs; i++ {
		if err := syncDir(filepath.Join(f.dir, []string{"content", "done", "in"}[i%3])); err != nil {
			return err
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
