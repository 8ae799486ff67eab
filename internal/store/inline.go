package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Small content lives inside the database (docs/architecture.md §6): an
// input or a document's content of at most InlineMax bytes is a row of
// the contents table (hex SHA-256, bytes), inserted in the transaction of
// the row that names it, so it costs no file, no file fsync and no
// directory fsync: the commit that makes the row durable makes the bytes
// durable. Bigger content is a content file, as before. Content stored as
// a file by an earlier docbridge stays readable: OpenContent and
// ReadContent look in the table first, then for the file.

// InlineMax is the largest content, in bytes, stored inside the database
// instead of in a content file.
const InlineMax = 64 << 10

// inlined reports whether content of size bytes is stored inside the
// database.
func inlined(size int64) bool { return size <= InlineMax }

// insertContent stores b, whose hex SHA-256 is sha, in the contents table
// in tx; the same bytes stored already are left as they are.
func insertContent(ctx context.Context, tx *sql.Tx, sha string, b []byte) error {
	if b == nil {
		b = []byte{} // an empty BLOB, not NULL
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO contents (sha256, body) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING`,
		sha, b); err != nil {
		return fmt.Errorf("store content %s: %w", sha, err)
	}
	return nil
}

// readInline returns the bytes with this hex SHA-256 from the contents
// table, or from an AcceptConverted in progress (pendingContent); ok is
// false when neither holds them.
func (s *Store) readInline(sha string) (b []byte, ok bool, err error) {
	if b, ok := s.pending.get(sha); ok {
		return b, true, nil
	}
	err = s.r.QueryRowContext(context.Background(), `SELECT body FROM contents WHERE sha256 = ?`, sha).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: read content %s: %w", sha, err)
	}
	if b == nil {
		b = []byte{}
	}
	return b, true, nil
}

// inlineReader is the reader OpenContent returns for inline content: like
// the *os.File of a content file, it is an io.ReaderAt too.
type inlineReader struct{ *bytes.Reader }

func (inlineReader) Close() error { return nil }

var _ interface {
	io.ReadCloser
	io.ReaderAt
} = inlineReader{}

// pendingContent holds the bytes of inline inputs whose AcceptConverted is
// in progress: their row is not committed yet, but the conversion that is
// committed with it reads them (OpenContent, ReadContent) before.
type pendingContent struct {
	mu sync.Mutex
	m  map[string]*pendingBytes // by hex SHA-256
}

// pendingBytes is one pending content and how many AcceptConverted calls
// hold it.
type pendingBytes struct {
	b    []byte
	refs int
}

// hold makes b readable under sha until the returned release is called.
func (p *pendingContent) hold(sha string, b []byte) (release func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]*pendingBytes{}
	}
	e := p.m[sha]
	if e == nil {
		e = &pendingBytes{b: b}
		p.m[sha] = e
	}
	e.refs++
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if e.refs--; e.refs == 0 {
			delete(p.m, sha)
		}
	}
}

// get returns the pending bytes with this hex SHA-256.
func (p *pendingContent) get(sha string) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.m[sha]; ok {
		return e.b, true
	}
	return nil, false
}
