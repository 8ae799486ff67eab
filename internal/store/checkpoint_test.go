package store

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCheckpointInBackground: pages committed to the WAL reach the
// database file through the checkpointer, well before the writer's own
// checkpoint threshold (writerCheckpointPages), which the commits here
// stay far below.
func TestCheckpointInBackground(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, Options{Dir: dir})
	db, wal := filepath.Join(dir, dbFile), filepath.Join(dir, dbFile+"-wal")
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// The schema's pages first, so that only the documents' are left.
	if _, err := s.w.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	before := size(db)
	for i := range 100 {
		oneDoc(t, s, fmt.Sprintf("urn:oid:8.%d", i))
	}
	if pages := size(wal) / 4096; pages >= writerCheckpointPages {
		t.Fatalf("the WAL holds %d pages: the writer's own checkpoint may have run, the test proves nothing", pages)
	}
	deadline := time.Now().Add(10 * time.Second)
	for size(db) <= before {
		if time.Now().After(deadline) {
			t.Fatalf("the database file is still %d bytes 10 s after the commits (WAL %d bytes): nothing checkpointed it", size(db), size(wal))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
