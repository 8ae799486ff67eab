package watch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/docbridge/docbridge"
)

// openRegular opens path for reading without following a symbolic link
// (O_NOFOLLOW) and without blocking on a FIFO (O_NONBLOCK), then checks
// that what it opened (fstat) is a regular file and the very file Lstat
// saw at path (same device and inode), so nothing outside the folder is
// ever read. The caller closes the file; its Name is the docbridge.Ref of
// the base name, so errors of its reads carry no file name. A path that is not a regular file
// — a symbolic link, FIFO, socket, device or directory — is a
// *docbridge.Error of reason ForbiddenConstruct (irregular); any other
// error means try again later, and carries no path (pathless).
func openRegular(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, pathless(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, irregular(fi.Mode())
	}
	ref := docbridge.Ref(filepath.Base(path))
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, irregular(fs.ModeSymlink) // replaced by a link since the Lstat
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: ref, Err: err}
	}
	// Named by its ref, so the errors of later reads (which the sink may
	// wrap and log) carry no file name either.
	fh := os.NewFile(uintptr(fd), ref)
	got, err := fh.Stat()
	switch {
	case err != nil:
		fh.Close()
		return nil, err
	case !got.Mode().IsRegular():
		fh.Close()
		return nil, irregular(got.Mode())
	case !os.SameFile(fi, got):
		fh.Close()
		return nil, fmt.Errorf("open %s: the file was replaced while it was being opened", ref)
	}
	return fh, nil
}

// openClaimed opens a claimed file as openRegular does and, when claimed
// is not nil (what the claim's rename moved, as Lstat saw it right after),
// checks that it is still that file: one put in its place in processing/
// since is refused with ForbiddenConstruct, like any entry docbridge did
// not claim. claimed is nil for a file found claimed at start.
func openClaimed(path string, claimed os.FileInfo) (*os.File, error) {
	fh, err := openRegular(path)
	if err != nil || claimed == nil {
		return fh, err
	}
	got, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	if !os.SameFile(claimed, got) {
		fh.Close()
		return nil, docbridge.Errorf(docbridge.ForbiddenConstruct,
			"the file in processing/ is not the one docbridge claimed (it was replaced after the claim): nothing but docbridge may write in processing/; drop the document again")
	}
	return fh, nil
}

// irregular is the refusal of a folder entry that is not a regular file.
// Its reason is ForbiddenConstruct: a link, FIFO, socket or device makes
// whoever reads it read something other than the bytes dropped (another
// file, another process's stream, the kernel), which is the hostile
// indirection external XML entities are refused for. The operator's action
// is the same in every case: drop the document itself as a file.
func irregular(m fs.FileMode) error {
	what := "a special file (device)"
	switch {
	case m&fs.ModeSymlink != 0:
		what = "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m.IsDir():
		what = "a directory"
	}
	return docbridge.Errorf(docbridge.ForbiddenConstruct,
		"%s, not a regular file: docbridge never follows links nor reads pipes, sockets or devices in the drop folder; write the document itself to a file and rename it in", what)
}

// noteDirectory writes, once, a reason file beside a directory of the
// drop folder: subdirectories are not taken, and a directory is left where
// it is (it may be an integrator's staging folder) rather than moved to
// failed/. docbridge's own folders (done/, failed/, processing/) are
// skipped; an existing reason file is never rewritten.
func (f *Folder) noteDirectory(name string) {
	path := filepath.Join(f.o.Dir, name)
	for _, own := range []string{f.o.Done, f.o.Failed, filepath.Dir(f.o.Processing), f.o.Processing} {
		if filepath.Clean(own) == path {
			return
		}
	}
	rpath := filepath.Join(f.o.Dir, shortName(name)+".reason.json")
	if _, err := os.Lstat(rpath); err == nil {
		return
	}
	rf := ReasonFile{File: name, Code: docbridge.UnsupportedFormat, At: f.o.Now().UTC(),
		Message: "a directory in the drop folder: subdirectories are not taken, nor is anything in them; move the documents into the drop folder itself (rename them in). The directory is left where it is."}
	if err := f.writeFileSync(rpath, rf); err != nil {
		f.o.Log.Error().Err(err).Str("intake", f.o.Name).Str("file_ref", docbridge.Ref(name)).Msg("cannot write the reason file of a directory in the drop folder")
		return
	}
	f.o.Log.Warn().Str("intake", f.o.Name).Str("file_ref", docbridge.Ref(name)).Str("reason", string(docbridge.UnsupportedFormat)).Msg("directory in the drop folder not taken; reason file written beside it")
}
