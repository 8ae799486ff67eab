package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docbridge/docbridge/samples"
)

// withFolderConcurrency sets folders[0].concurrency in the e2e
// configuration.
func (e *e2e) withFolderConcurrency(n int) {
	e.t.Helper()
	b, err := os.ReadFile(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	cfg := strings.Replace(string(b), "rescan: 1s}", fmt.Sprintf("rescan: 1s, concurrency: %d}", n), 1)
	if cfg == string(b) {
		e.t.Fatal("no folder to change in the e2e configuration")
	}
	if err := os.WriteFile(e.cfg, []byte(cfg), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// claimedNow counts the files in the instances' processing folders (the
// lock files left aside).
func (e *e2e) claimedNow() int {
	files, _ := filepath.Glob(filepath.Join(e.dir, "drop", "processing", "*", "*"))
	n := 0
	for _, f := range files {
		if !strings.HasPrefix(filepath.Base(f), ".") {
			n++
		}
	}
	return n
}

// TestEndToEndFolderKilledMidBatch drops 120 documents at once into a
// folder taken 4 files at a time, kills the daemon with SIGKILL while
// some are in done/, others claimed in processing/ and the rest still in
// the drop folder, restarts it, and checks that every document reached
// MES exactly once, every file is in done/ once, and nothing is left
// claimed or waiting.
func TestEndToEndFolderKilledMidBatch(t *testing.T) {
	e := newE2E(t)
	e.withFolderConcurrency(4)
	cmd := e.start()
	ids := e.dropCopies(120)
	claimed, done := 0, 0
	e.waitFor("a batch half taken", time.Minute, func() bool {
		claimed, done = e.claimedNow(), e.doneCount()
		return claimed >= 1 && done >= 10
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	claimedAtKill, doneAtKill := e.claimedNow(), e.doneCount()
	t.Logf("killed with %d files claimed, %d in done/ (seen %d/%d just before)", claimedAtKill, doneAtKill, claimed, done)
	if doneAtKill >= len(ids) {
		t.Fatalf("every file was in done/ at the kill: the test did not kill mid-batch")
	}
	cmd = e.start()
	e.waitFor("120 deliveries after the restart", 2*time.Minute, func() bool {
		return e.doneCount() == len(ids) && e.delivered() == len(ids)
	})
	stopDaemon(t, cmd)
	e.check(ids)
	if n := e.claimedNow(); n != 0 {
		t.Errorf("%d files still claimed in processing/", n)
	}
	left, _ := filepath.Glob(filepath.Join(e.dir, "drop", "report-*"))
	if len(left) != 0 {
		t.Errorf("%d files left in the drop folder", len(left))
	}
}

// TestEndToEndFolderPairsAtOnce drops 24 PDFs, each after its own sidecar,
// at once into a folder taken 4 files at a time: each PDF reaches MES
// once with its own sidecar's metadata, and each pair is in done/.
func TestEndToEndFolderPairsAtOnce(t *testing.T) {
	e := newE2E(t)
	e.withFolderConcurrency(4)
	pdf, err := fs.ReadFile(samples.FS, "cr-bio-sidecar.pdf")
	if err != nil {
		t.Fatal(err)
	}
	side, err := fs.ReadFile(samples.FS, "cr-bio-sidecar.json")
	if err != nil {
		t.Fatal(err)
	}
	const uid, setID = "1.2.250.1.999.42.1.1101", "1.2.250.1.999.42.2.1101"
	if !bytes.Contains(side, []byte(uid)) || !bytes.HasPrefix(pdf, []byte("%PDF-1.7\n")) {
		t.Fatal("the samples changed: no uniqueId in the sidecar, or no PDF header")
	}
	cmd := e.start()
	drop := filepath.Join(e.dir, "drop")
	stage := filepath.Join(e.dir, "stage")
	os.MkdirAll(stage, 0o700)
	os.MkdirAll(drop, 0o750)
	const n = 24
	ids := map[string]bool{}
	sums := map[string]string{} // uniqueId → SHA-1 of its own PDF
	for i := range n {
		id := fmt.Sprintf("%s.%d", uid, 500+i)
		s := strings.ReplaceAll(strings.ReplaceAll(string(side), uid, id), setID, fmt.Sprintf("%s.%d", setID, 500+i))
		p := append([]byte(fmt.Sprintf("%%PDF-1.7\n%% copy %d\n", i)), pdf[len("%PDF-1.7\n"):]...)
		name := fmt.Sprintf("pair-%02d", i)
		for _, f := range []struct {
			ext  string
			body []byte
		}{{".json", []byte(s)}, {".pdf", p}} {
			if err := os.WriteFile(filepath.Join(stage, name+f.ext), f.body, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(filepath.Join(stage, name+f.ext), filepath.Join(drop, name+f.ext)); err != nil {
				t.Fatal(err)
			}
		}
		ids["urn:oid:"+id] = true
		sum := sha1.Sum(p)
		sums["urn:oid:"+id] = hex.EncodeToString(sum[:])
	}
	e.waitFor("24 pairs delivered", 2*time.Minute, func() bool {
		return e.doneCount() == 2*n && e.delivered() == n
	})
	stopDaemon(t, cmd)
	e.checkDocs(ids, 2*n)
	for _, d := range e.sim.Documents() {
		if d.SHA1 != sums[d.UniqueID] {
			t.Errorf("%s reached MES with another PDF than its own: its sidecar went with another file", d.UniqueID)
		}
	}
	for i := range n {
		for _, ext := range []string{".pdf", ".json"} {
			if _, err := os.Stat(filepath.Join(drop, "done", fmt.Sprintf("pair-%02d%s", i, ext))); err != nil {
				t.Errorf("done/pair-%02d%s: %v", i, ext, err)
			}
		}
	}
}
