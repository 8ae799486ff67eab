package audit

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestCreateArchive: the file holds the archive, is 0600, is never
// written over, and no temporary file stays behind, also when writing
// fails.
func TestCreateArchive(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "audit-2026.jsonl")
	rs := chain(5)
	h := ArchiveHeader{First: rs[0].Seq, Prev: ZeroHash, Last: rs[4].Seq, LastHash: rs[4].Hash, Count: 5, Before: t0, Created: t0}
	if err := CreateArchive(name, h, seq(rs)); err != nil {
		t.Fatalf("CreateArchive: %v", err)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if want := archiveOf(t, rs, ZeroHash); !bytes.Equal(b, want) {
		t.Errorf("the file is not the archive WriteArchive writes")
	}
	if fi, err := os.Stat(name); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if err := CreateArchive(name, h, seq(rs[:1])); !errors.Is(err, fs.ErrExist) {
		t.Errorf("CreateArchive over an existing file = %v, want fs.ErrExist", err)
	}
	if after, _ := os.ReadFile(name); !bytes.Equal(after, b) {
		t.Errorf("the existing archive changed")
	}
	broken := func(yield func(Record, error) bool) { yield(Record{}, errors.New("store gone")) }
	if err := CreateArchive(filepath.Join(dir, "other.jsonl"), h, broken); err == nil {
		t.Errorf("CreateArchive of failing records = nil, want an error")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only the archive", names)
	}
}
