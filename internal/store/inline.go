package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
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
// durable. A document's content found base64 in its inline input (the CDA
// in an HL7 message) is not stored a second time: its row says where it
// is (base64Ref), and reading it decodes and checks it. Bigger content is a content file, as before. Content stored as
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

// base64Ref says where content is found base64-encoded (standard
// alphabet, padded, on one line) inside other inline content: the CDA in
// OBX-5 of an HL7 message.
type base64Ref struct {
	of      string // hex SHA-256 of the content holding the base64 text
	at, len int64  // where the text is in it, in bytes
}

// findBase64 returns where content (not empty) is found base64 in input,
// whose hex SHA-256 is inputSHA, or nil.
func findBase64(input []byte, inputSHA string, content []byte) *base64Ref {
	if len(content) == 0 {
		return nil
	}
	enc := make([]byte, base64.StdEncoding.EncodedLen(len(content)))
	base64.StdEncoding.Encode(enc, content)
	i := bytes.Index(input, enc)
	if i < 0 {
		return nil
	}
	return &base64Ref{of: inputSHA, at: int64(i), len: int64(len(enc))}
}

// insertBase64Ref stores the content with hex SHA-256 sha as where it is
// found base64 (r), in tx; r.of must be inline content stored in tx or
// before. The same content stored already is left as it is.
func insertBase64Ref(ctx context.Context, tx *sql.Tx, sha string, r base64Ref) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO contents (sha256, body, base64_of, base64_at, base64_len)
	VALUES (?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING`, sha, []byte{}, r.of, r.at, r.len); err != nil {
		return fmt.Errorf("store content %s: %w", sha, err)
	}
	return nil
}

// readInline returns the bytes with this hex SHA-256 from the contents
// table, or from an AcceptConverted in progress (pendingContent); ok is
// false when neither holds them. Content stored as a base64 reference is
// decoded from the content holding it, and returned only when it hashes
// to sha: what is read is exactly what was recorded.
func (s *Store) readInline(sha string) (b []byte, ok bool, err error) {
	if b, ok := s.pending.get(sha); ok {
		return b, true, nil
	}
	var r base64Ref
	err = s.r.QueryRowContext(context.Background(), `SELECT body, base64_of, base64_at, base64_len FROM contents WHERE sha256 = ?`,
		sha).Scan(&b, &r.of, &r.at, &r.len)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: read content %s: %w", sha, err)
	}
	if r.of != "" {
		b, err = s.decodeBase64Ref(sha, r)
		return b, err == nil, err
	}
	if b == nil {
		b = []byte{}
	}
	return b, true, nil
}

// decodeBase64Ref reads the content sha stored as r.
func (s *Store) decodeBase64Ref(sha string, r base64Ref) ([]byte, error) {
	outer, ok, err := s.readInline(r.of)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, fmt.Errorf("store: content %s: the content holding it (%s) is not inline", sha, r.of)
	case r.at < 0 || r.len < 0 || r.at+r.len > int64(len(outer)):
		return nil, fmt.Errorf("store: content %s: bytes %d+%d are outside the %d bytes of %s", sha, r.at, r.len, len(outer), r.of)
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(int(r.len)))
	n, err := base64.StdEncoding.Decode(b, outer[r.at:r.at+r.len])
	if err != nil {
		return nil, fmt.Errorf("store: content %s: decode base64 in %s: %w", sha, r.of, err)
	}
	b = b[:n]
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != sha {
		return nil, fmt.Errorf("store: content %s: the base64 text in %s decodes to other bytes", sha, r.of)
	}
	return b, nil
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
