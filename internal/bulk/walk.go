package bulk

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// entry is one file of the archive to take.
type entry struct {
	rel string // slash-separated, relative to the root
	abs string
}

// walk calls fn for each file of the archive under root, in lexical order,
// streaming: the run's own files (skip: the index, the profile) and the
// sidecars PDFs take (isSidecar)
// are left out, sidecars counted through sidecar. Directories that cannot
// be listed are given to fn as entries too, so that they are reported as
// unreadable. It returns ctx's error when ctx is done, or fn's.
func walk(ctx context.Context, root string, skip []string, sidecar func(), fn func(entry) error) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			if p == root {
				return err
			}
			return fn(entryOf(root, p)) // a directory that cannot be read
		}
		if d.IsDir() || slices.Contains(skip, p) {
			return nil
		}
		if isSidecar(p) {
			if sidecar != nil {
				sidecar()
			}
			return nil
		}
		return fn(entryOf(root, p))
	})
}

func entryOf(root, p string) entry {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		rel = p
	}
	return entry{rel: filepath.ToSlash(rel), abs: p}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// countFiles counts what walk would give fn, for progress.
func countFiles(ctx context.Context, root string, skip []string) (int, error) {
	n := 0
	err := walk(ctx, root, skip, nil, func(entry) error { n++; return nil })
	return n, err
}

// readError is what a report says of a file that cannot be read: the
// system's reason, without the path (the report gives the path).
func readError(err error) string {
	return "the file cannot be read: " + ioCause(err)
}

// ioCause is the system's reason of a file system error, without the path.
func ioCause(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Err != nil {
		err = pe.Err
	}
	return err.Error()
}
