package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mes/messim"
	"github.com/docbridge/docbridge/samples"
)

// patientName is a file name made of the sample patient's data, as
// senders name files: the log scan (assertNoPatientData) finds any of it.
const patientName = "DOCBRIDGE-TEST_CAMILLE_1985-04-17_285047505612322"

// hostileReport returns the sample lab report under a document id of its
// own (root.suffix) and that id as the simulator stores it.
func hostileReport(t *testing.T, suffix int) ([]byte, string) {
	t.Helper()
	tmpl, err := fs.ReadFile(samples.FS, "cr-bio-n1-pdf.xml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`<id root="([0-9.]+)"`).FindSubmatchIndex(tmpl)
	if m == nil {
		t.Fatal("no document id in the sample")
	}
	root := fmt.Sprintf("%s.%d", tmpl[m[2]:m[3]], suffix)
	return append(append(append([]byte{}, tmpl[:m[2]]...), root...), tmpl[m[3]:]...), "urn:oid:" + root
}

// renameIn writes body under a temporary name beside the drop folder and
// renames it in as name.
func renameIn(t *testing.T, drop, name string, body []byte, mode os.FileMode) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(drop), "staging-"+docbridge.Ref(name))
	if err := os.WriteFile(tmp, body, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tmp, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(drop, name)); err != nil {
		t.Fatal(err)
	}
}

// TestEndToEndFolderHostileEntries runs the daemon against links (to a
// deliverable CDA outside the folder, made in place and renamed in, and to
// /proc/self/environ), a FIFO, a directory and a name of 251 bytes. Nothing
// outside the folder is read, stored or delivered (checked by hash against
// the store's content/ and by id at the simulator); each entry that is not
// a file gets its reason file; the FIFO does not hang the daemon (a good
// file dropped after it is delivered); the long name is delivered and its
// file moved to done/; the log holds none of the patient data in the names.
func TestEndToEndFolderHostileEntries(t *testing.T) {
	const marker = "DOCBRIDGE_HOSTILE_ENV_MARKER_7d1c"
	t.Setenv(marker, marker) // the daemon's environment, as /proc/self/environ shows it
	e := newE2EServer(t, messim.Options{}, nil, "")
	drop := filepath.Join(e.dir, "drop")
	os.MkdirAll(drop, 0o750)
	cmd := e.start()

	secret, secretID := hostileReport(t, 9001)
	secretPath := filepath.Join(e.dir, "outside", "secret.xml")
	os.MkdirAll(filepath.Dir(secretPath), 0o750)
	if err := os.WriteFile(secretPath, secret, 0o600); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{ // name in the folder → target
		"LINK-IN-PLACE_" + patientName + ".xml":   secretPath,
		"LINK-RENAMED-IN_" + patientName + ".xml": secretPath,
		"ENVIRON_" + patientName + ".xml":         "/proc/self/environ",
	}
	for name, target := range links {
		at := filepath.Join(drop, name)
		if strings.HasPrefix(name, "LINK-RENAMED-IN") {
			at = filepath.Join(e.dir, "outside", "link")
		}
		if err := os.Symlink(target, at); err != nil {
			t.Fatal(err)
		}
		if at != filepath.Join(drop, name) {
			if err := os.Rename(at, filepath.Join(drop, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	fifo := "FIFO_" + patientName + ".xml"
	if err := syscall.Mkfifo(filepath.Join(drop, fifo), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := "DIR_" + patientName
	if err := os.Mkdir(filepath.Join(drop, dir), 0o750); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // the good files come after the hostile ones
	good, goodID := hostileReport(t, 9002)
	renameIn(t, drop, "good.xml", good, 0o600)
	long := (patientName + "_" + strings.Repeat("x", 251))[:247] + ".xml"
	longBody, longID := hostileReport(t, 9003)
	renameIn(t, drop, long, longBody, 0o600)

	refused := append([]string{fifo}, linkNames(links)...)
	e.waitFor("the hostile entries refused and the good files delivered", 2*time.Minute, func() bool {
		for _, name := range refused {
			if !hostileExists(filepath.Join(drop, "failed", name+".reason.json")) {
				return false
			}
		}
		return hostileExists(filepath.Join(drop, dir+".reason.json")) && e.delivered() == 2
	})
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the daemon died: %v", err)
	}
	stopDaemon(t, cmd)

	for _, name := range refused {
		var rf struct{ Code, Message string }
		b, _ := os.ReadFile(filepath.Join(drop, "failed", name+".reason.json"))
		json.Unmarshal(b, &rf)
		if rf.Code != string(docbridge.ForbiddenConstruct) || !strings.Contains(rf.Message, "not a regular file") {
			t.Errorf("%.20s…: reason %q %q, want forbidden-construct saying it is not a regular file", name, rf.Code, rf.Message)
		}
		if fi, err := os.Lstat(filepath.Join(drop, "failed", name)); err != nil || fi.Mode().IsRegular() {
			t.Errorf("%.20s…: failed/ should hold the entry itself, not a copy (%v)", name, err)
		}
	}
	if fi, err := os.Lstat(filepath.Join(drop, dir)); err != nil || !fi.IsDir() {
		t.Errorf("the directory was not left where it was: %v", err)
	}
	// Nothing outside the folder in the store, nothing of it delivered.
	want := sha256.Sum256(secret)
	filepath.WalkDir(filepath.Join(e.dir, "data", "content"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(path)
		if sha256.Sum256(b) == want {
			t.Errorf("the store holds the file outside the folder: %s", filepath.Base(path))
		}
		if bytes.Contains(b, []byte(marker)) {
			t.Errorf("the store holds the daemon's environment: %s", filepath.Base(path))
		}
		return nil
	})
	if _, err := os.Stat(filepath.Join(e.dir, "data", "content", hex.EncodeToString(want[:1]), hex.EncodeToString(want[:]))); err == nil {
		t.Error("content/ holds the secret under its hash")
	}
	// Small content is stored inside the database, not in content/.
	if st, err := e.openStore(); err != nil {
		t.Errorf("open the store: %v", err)
	} else {
		if _, err := st.ReadContent(hex.EncodeToString(want[:])); err == nil {
			t.Error("the store holds the secret under its hash")
		}
		st.Close()
	}
	got := map[string]bool{}
	for _, d := range e.sim.Documents() {
		got[d.UniqueID] = true
	}
	if got[secretID] {
		t.Error("the CDA outside the folder was delivered")
	}
	if !got[goodID] || !got[longID] {
		t.Errorf("delivered %v, want the good file (after the FIFO) and the long name", got)
	}
	// The long name: moved to done/, nothing left in processing/.
	done, _ := os.ReadDir(filepath.Join(drop, "done"))
	if len(done) != 2 {
		t.Errorf("done/ holds %d files, want 2", len(done))
	}
	left, _ := filepath.Glob(filepath.Join(drop, "processing", "*", "[^.]*")) // not the instance lock
	if len(left) != 0 {
		t.Errorf("processing/ still holds %d files", len(left))
	}
	log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
	assertNoPatientData(t, string(log))
}

// TestEndToEndFolderErrorPathsLogNoPatientData extends the reliability
// suite's log scan to the folder's error paths: a file that cannot be moved
// to done/ (done/ replaced by a regular file, which fails even as root) and,
// when not running as root, a file that cannot be read (chmod 000). Both
// stay in processing/ and are retried; the log names them by file_ref only.
// Once done/ is back, the file is moved there.
func TestEndToEndFolderErrorPathsLogNoPatientData(t *testing.T) {
	e := newE2EServer(t, messim.Options{}, nil, "")
	cfg, _ := os.ReadFile(e.cfg)
	cfg = bytes.Replace(cfg, []byte("{name: drop, path: drop,"), []byte("{name: drop, path: drop, done: outdone,"), 1)
	if err := os.WriteFile(e.cfg, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	drop, done := filepath.Join(e.dir, "drop"), filepath.Join(e.dir, "outdone")
	os.MkdirAll(drop, 0o750)
	cmd := e.start()
	e.waitFor("the done folder", 30*time.Second, func() bool { return hostileExists(done) })
	if err := os.Remove(done); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(done, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(e.dir, "daemon.log")
	logHas := func(s string) bool { b, _ := os.ReadFile(logPath); return bytes.Contains(b, []byte(s)) }

	body, id := hostileReport(t, 9101)
	renameIn(t, drop, "MOVE-FAILS_"+patientName+".xml", body, 0o600)
	e.waitFor("the failed move in the log", time.Minute, func() bool { return logHas("cannot move the file to done/") })
	if os.Geteuid() != 0 {
		unreadable, _ := hostileReport(t, 9102)
		renameIn(t, drop, "UNREADABLE_"+patientName+".xml", unreadable, 0)
		e.waitFor("the unreadable file in the log", time.Minute, func() bool { return logHas("permission denied") })
	} else {
		t.Log("running as root: a chmod 000 file is readable, only the failed move is covered end to end")
	}

	// done/ comes back: the claimed file is moved on a retry.
	if err := os.Remove(done); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(done, 0o750); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the file moved to done/ once it is back", time.Minute, func() bool {
		entries, _ := os.ReadDir(done)
		return len(entries) == 1
	})
	e.waitFor("the delivery", time.Minute, func() bool { return e.delivered() >= 1 })
	stopDaemon(t, cmd)
	found := false
	for _, d := range e.sim.Documents() {
		found = found || d.UniqueID == id
	}
	if !found {
		t.Error("the file whose move failed was not delivered")
	}
	log, _ := os.ReadFile(logPath)
	if !bytes.Contains(log, []byte(`"file_ref"`)) {
		t.Error("the error lines carry no file_ref")
	}
	assertNoPatientData(t, string(log))
}

func linkNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func hostileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
