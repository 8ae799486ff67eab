package watch

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A file claimed by an instance that is not running (its lock is free) is
// given back to the drop folder and taken by a live instance; the files of
// a running instance are left alone.
func TestOrphanedClaimsAreAdopted(t *testing.T) {
	dir := t.TempDir()
	dead := filepath.Join(dir, "processing", "dead")
	alive := filepath.Join(dir, "processing", "alive")
	for _, d := range []string{dead, alive} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, lockName), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dead, "orphan.xml"), []byte("<o/>"), 0o600)
	os.WriteFile(filepath.Join(alive, "busy.xml"), []byte("<b/>"), 0o600)
	other, err := NewFolder(FolderOptions{Dir: dir, Sink: &fakeSink{}, Instance: "alive"})
	if err != nil {
		t.Fatal(err)
	}
	lock, err := other.lockProcessing()
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()

	sink := &fakeSink{}
	runFolder(t, FolderOptions{Dir: dir, Sink: sink, Instance: "me", Settle: 100 * time.Millisecond, Rescan: time.Hour})
	eventually(t, "orphan.xml taken", func() bool { return sink.has("orphan.xml") })
	if sink.has("busy.xml") || !exists(filepath.Join(alive, "busy.xml")) {
		t.Error("a file claimed by a running instance was taken")
	}
}

func TestTwoInstancesOfOneNameAreRefused(t *testing.T) {
	dir := t.TempDir()
	a, err := NewFolder(FolderOptions{Dir: dir, Sink: &fakeSink{}, Instance: "x"})
	if err != nil {
		t.Fatal(err)
	}
	lock, err := a.lockProcessing()
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := a.lockProcessing(); err == nil {
		t.Error("a second lock of the same processing folder succeeded")
	}
}
