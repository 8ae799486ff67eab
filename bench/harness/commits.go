package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// syncCounts is how many durable writes docbridge makes per document,
// counted with strace on a real daemon taking Docs documents dropped at
// once (so with its concurrency and grouping): SQLite commits (fsyncs of
// the WAL: with synchronous=FULL each commit is one), fsyncs of content
// files and fsyncs of directories.
type syncCounts struct {
	Commits, Files, Dirs, Other float64
	Docs                        int
	Measured                    bool // false: strace was not available, the counts come from reading the code
}

// codeCounts is what reading the code gives for one CDA dropped in a
// folder, taken alone (used when strace is missing): Store.AcceptConverted (content
// file + its directory, one commit), RecordConversion (directory, one
// commit), match (one commit), deliver (one commit), and the folder's
// claim (processing/, drop folder) and move to done/ (done/, processing/):
// four directory fsyncs, shared when files are taken together.
var codeCounts = syncCounts{Commits: 4, Files: 1, Dirs: 6}

// straceLine matches an fsync or fdatasync in strace -y output, complete
// ("fsync(7</p>) = 0") or begun ("fsync(7</p> <unfinished ...>"). The
// "<... fsync resumed>" line that ends a begun call names no path and is
// not matched: each call counts once.
var straceLine = regexp.MustCompile(`(?:fsync|fdatasync)\(\d+<([^>]*)>(?:\)| <unfinished \.\.\.>)`)

// countSyncs runs a daemon under strace, drops n documents at once, and
// counts the fsyncs made between the drop and the last delivery.
func countSyncs(ctx context.Context, bin, dir string, sim *simulator, t *templates, n int) (syncCounts, error) {
	if _, err := exec.LookPath("strace"); err != nil {
		return codeCounts, nil
	}
	d, err := newDaemon(ctx, bin, dir, sim)
	if err != nil {
		return syncCounts{}, err
	}
	trace := filepath.Join(dir, "strace.out")
	start := func() error {
		f, err := os.OpenFile(filepath.Join(d.dir, "daemon.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		d.log = f
		d.cmd = exec.Command("strace", "-f", "-y", "-qq", "-e", "trace=fsync,fdatasync", "-o", trace, bin, "serve", "-c", d.cfg)
		// Its own process group, so that stop reaches the traced daemon
		// and not only strace.
		d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		d.cmd.Stdout, d.cmd.Stderr = f, f
		return d.cmd.Start()
	}
	if err := start(); err != nil {
		return syncCounts{}, err
	}
	defer d.stop()
	if err := waitListening(d.mllpAddr); err != nil {
		return syncCounts{}, err
	}
	time.Sleep(500 * time.Millisecond)
	before, _ := readTrace(trace)
	roots, docs := genDocs(t, 3, 9000, n)
	names := make([]string, len(docs))
	uids := make([]string, len(docs))
	for i, doc := range docs {
		names[i], uids[i] = fmt.Sprintf("count-%04d.xml", i), uniqueID(roots[i])
		if err := d.stage(names[i], doc); err != nil {
			return syncCounts{}, err
		}
	}
	for _, name := range names {
		if _, err := d.publish(name); err != nil {
			return syncCounts{}, err
		}
	}
	if err := sim.waitAll(uids, 5*time.Minute); err != nil {
		return syncCounts{}, err
	}
	time.Sleep(time.Second) // the done renames follow delivery... and the last transitions
	after, err := readTrace(trace)
	if err != nil {
		return syncCounts{}, err
	}
	c := syncCounts{Docs: n, Measured: true}
	for _, p := range after[len(before):] {
		switch fi, err := os.Stat(p); {
		case strings.HasSuffix(p, "-wal"):
			c.Commits++
		case err == nil && fi.IsDir():
			c.Dirs++
		case strings.Contains(p, "/content") || strings.Contains(p, "/tmp/"):
			c.Files++
		default:
			c.Other++
		}
	}
	c.Commits /= float64(n)
	c.Files /= float64(n)
	c.Dirs /= float64(n)
	c.Other /= float64(n)
	return c, nil
}

func waitListening(addr string) error {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok := dialOK(addr); ok {
			return nil
		}
	}
	return fmt.Errorf("nothing listening on %s after 30 s", addr)
}

// readTrace returns the paths of the fsyncs in a strace output file.
func readTrace(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := straceLine.FindStringSubmatch(sc.Text()); m != nil {
			out = append(out, m[1])
		}
	}
	return out, sc.Err()
}
