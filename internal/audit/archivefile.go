package audit

import (
	"fmt"
	"iter"
	"os"
	"path/filepath"
)

// CreateArchive writes the archive of h and records (WriteArchive) to the
// new file name, durably: through a temporary file in the same directory,
// written, fsynced, linked to name (never over an existing file) and the
// directory fsynced, so that name exists only complete — the store may
// then delete the archived records. The file is 0600. When name exists it
// returns an error wrapping fs.ErrExist and leaves the file as it was;
// otherwise the errors are the file system's and WriteArchive's, and name
// does not exist after them.
func CreateArchive(name string, h ArchiveHeader, records iter.Seq2[Record, error]) error {
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := WriteArchive(tmp, h, records); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), name); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
