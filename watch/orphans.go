package watch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/sidecarname"
)

// lockName is the file an instance keeps locked (flock) in its processing
// folder for as long as it runs: the kernel drops the lock when the process
// dies, however it dies, which is how the others tell a dead instance from
// a slow one.
const lockName = ".instance.lock"

// lockProcessing takes this instance's lock on its processing folder. It
// fails when another live process holds it (two instances with the same
// name). The returned file must stay open while the folder is watched.
func (f *Folder) lockProcessing() (*os.File, error) {
	fh, err := os.OpenFile(filepath.Join(f.o.Processing, lockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the instance lock: %w", err)
	}
	if err := syscall.Flock(int(fh.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		fh.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("processing folder %s is in use by another running instance of the same name (instance: in the configuration)", f.o.Processing)
		}
		return nil, fmt.Errorf("lock the processing folder: %w", err)
	}
	return fh, nil
}

// adoptOrphans gives back to the drop folder the files that dead instances
// had claimed: for each other folder of processing/ whose lock it can take
// (its instance is not running), it moves the files back into the drop
// folder, where any instance takes them as new. The store recognises the
// ones already accepted. Folders of live instances are left alone.
func (f *Folder) adoptOrphans() {
	root := filepath.Dir(f.o.Processing)
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		if !e.IsDir() || dir == filepath.Clean(f.o.Processing) {
			continue
		}
		f.adopt(dir)
	}
}

func (f *Folder) adopt(dir string) {
	fh, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR, 0)
	if err != nil {
		return // never locked: not an instance folder of this version
	}
	defer fh.Close()
	if syscall.Flock(int(fh.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return // alive
	}
	defer syscall.Flock(int(fh.Fd()), syscall.LOCK_UN)
	files, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	moved := 0
	for _, e := range files {
		name := e.Name()
		if e.IsDir() || name == lockName || pairedIn(dir, name) {
			continue // a PDF's sidecar moves with its PDF
		}
		side := ""
		if sidecarname.IsPDF(name) {
			side = sidecarIn(dir, name)
		}
		// A pair moves under one stem free in the drop folder, so that
		// neither half is renamed apart and paired with a newer file there.
		if _, err := f.movePair(dir, name, side, f.o.Dir); err != nil {
			f.o.Log.Error().Err(err).Str("intake", f.o.Name).Str("file_ref", docbridge.Ref(name)).Msg("cannot give back a file claimed by a stopped instance")
			continue
		}
		moved++
	}
	if moved > 0 {
		f.o.Log.Warn().Str("intake", f.o.Name).Str("instance", filepath.Base(dir)).Int("files", moved).Msg("files claimed by a stopped instance given back to the drop folder")
	}
}
