package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Content is stored once per distinct byte string: inside the database up
// to InlineMax bytes (inline.go), above that under
// content/<first two hex digits>/<hex SHA-256>. Files are written to tmp/,
// fsynced, renamed into place, and the directory is fsynced, so a content
// file that exists is complete. Content files are never modified.

// copyBufs holds the buffers content is streamed through.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// validSHA256 reports whether sha is 64 lowercase hex digits.
func validSHA256(sha string) bool {
	if len(sha) != sha256.Size*2 {
		return false
	}
	for i := 0; i < len(sha); i++ {
		c := sha[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// contentPath returns the file of the content with this hex SHA-256. sha is
// checked so that it can never name a path outside content/.
func (s *Store) contentPath(sha string) (string, error) {
	sha = strings.ToLower(sha)
	if !validSHA256(sha) {
		return "", fmt.Errorf("store: content %q: not a hex SHA-256", sha)
	}
	return filepath.Join(s.dir, contentDir, sha[:2], sha), nil
}

// OpenContent opens the stored bytes with this hex SHA-256 for reading:
// inside the database (inline.go) or a content file. The reader is also an
// io.ReaderAt; the caller closes it. It returns an error wrapping
// ErrNotFound when no such content is stored, and an error when sha is not
// a hex SHA-256. The bytes are not re-hashed on the way.
func (s *Store) OpenContent(sha256 string) (io.ReadCloser, error) {
	p, err := s.contentPath(sha256)
	if err != nil {
		return nil, err
	}
	b, ok, err := s.readInline(strings.ToLower(sha256))
	if err != nil {
		return nil, err
	}
	if ok {
		return inlineReader{bytes.NewReader(b)}, nil
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store: content %s: %w", sha256, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open content %s: %w", sha256, err)
	}
	return f, nil
}

// ReadContent returns the stored bytes with this hex SHA-256, all in
// memory: use OpenContent for big content. Errors are OpenContent's.
func (s *Store) ReadContent(sha256 string) ([]byte, error) {
	p, err := s.contentPath(sha256)
	if err != nil {
		return nil, err
	}
	b, ok, err := s.readInline(strings.ToLower(sha256))
	if err != nil || ok {
		return b, err
	}
	b, err = os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store: content %s: %w", sha256, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: read content %s: %w", sha256, err)
	}
	return b, nil
}

// errTooBig is returned by writeTemp when r holds more than limit bytes.
var errTooBig = errors.New("content over the size limit")

// writeTemp streams r into a new file in tmp/, hashing on the way, and
// fsyncs it. It reads at most limit+1 bytes and returns errTooBig (having
// removed the file) when there are more than limit. On success the caller
// owns the temp file at tmp and must rename or remove it.
func (s *Store) writeTemp(ctx context.Context, r io.Reader, limit int64) (tmp, sha string, size int64, err error) {
	f, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), "content-*")
	if err != nil {
		return "", "", 0, fmt.Errorf("create temp: %w", err)
	}
	name := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(name)
		}
	}()
	h := sha256.New()
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	size, err = io.CopyBuffer(io.MultiWriter(f, h), io.LimitReader(ctxReader{ctx, r}, limit+1), *bp)
	if err != nil {
		return "", "", 0, fmt.Errorf("write temp: %w", err)
	}
	if size > limit {
		return "", "", 0, errTooBig
	}
	if err = f.Sync(); err != nil {
		return "", "", 0, fmt.Errorf("sync temp: %w", err)
	}
	if err = f.Close(); err != nil {
		return "", "", 0, fmt.Errorf("close temp: %w", err)
	}
	return name, hex.EncodeToString(h.Sum(nil)), size, nil
}

// placeContent makes the fsynced temp file tmp the content sha: it
// renames it into place, or removes it when that content is already
// stored. It returns the content subdirectory whose entry must be fsynced
// (syncDir) before a row names the content, also when the file was there
// already: a process that crashed may have renamed it without the fsync.
// The caller's transaction does that (inAuditTxAfter), so that the writes
// committed together share their directory fsyncs.
func (s *Store) placeContent(tmp, sha string) (dir string, err error) {
	final, err := s.contentPath(sha)
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	sub := filepath.Dir(final)
	if err := s.ensureSubdir(sub); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("create %s: %w", sub, err)
	}
	if _, err := os.Lstat(final); err == nil {
		os.Remove(tmp)
	} else if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("rename content into place: %w", err)
	}
	return sub, nil
}

// putBytes stores b, whose hex SHA-256 the caller checked is sha, as
// placeContent does: the file is complete and fsynced when it returns, and
// dir must be fsynced before a row names it.
func (s *Store) putBytes(ctx context.Context, b []byte, sha string) (dir string, err error) {
	final, err := s.contentPath(sha)
	if err != nil {
		return "", err
	}
	if _, err := os.Lstat(final); err == nil {
		sub := filepath.Dir(final)
		if err := s.ensureSubdir(sub); err != nil {
			return "", fmt.Errorf("create %s: %w", sub, err)
		}
		return sub, nil
	}
	tmp, got, _, err := s.writeTemp(ctx, bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return "", err
	}
	if got != sha {
		os.Remove(tmp)
		return "", fmt.Errorf("content hash changed while storing: %s, want %s", got, sha)
	}
	return s.placeContent(tmp, sha)
}

// ensureSubdir creates the content subdirectory sub and makes its entry in
// content/ durable, once per process.
func (s *Store) ensureSubdir(sub string) error {
	if _, ok := s.durableDirs.Load(sub); ok {
		return nil
	}
	if err := os.Mkdir(sub, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := syncDir(filepath.Join(s.dir, contentDir)); err != nil {
		return err
	}
	s.durableDirs.Store(sub, true)
	return nil
}

// syncDirs fsyncs every directory of dirs at once, each once, and returns
// the error of each that failed. Fsyncs issued together share the
// filesystem's journal commits.
func syncDirs(dirs []string) map[string]error {
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs map[string]error
	seen := make(map[string]bool, len(dirs))
	for _, d := range dirs {
		if seen[d] {
			continue
		}
		seen[d] = true
		wg.Go(func() {
			if err := syncDir(d); err != nil {
				mu.Lock()
				if errs == nil {
					errs = map[string]error{}
				}
				errs[d] = err
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errs
}

// syncDir fsyncs a directory, making the entries created or renamed in it
// durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// ctxReader stops a long copy when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
