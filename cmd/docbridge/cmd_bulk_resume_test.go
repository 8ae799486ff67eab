package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mes/messim"
)

// startBulk runs `docbridge bulk` on the archive as a child process, its
// output appended to bulk.log.
func (e *bulkEnv) startBulk(report string) *exec.Cmd {
	e.t.Helper()
	return startChild(e.t, filepath.Join(e.dir, "bulk.log"),
		"bulk", e.archive, "-c", e.cfg, "--report", report, "--rate", "0", "--progress-every", "1h")
}

// finalState is what a run leaves: every stored document's id, content and
// state, and what the simulator holds.
type finalState struct {
	Docs []string
	MES  []string
}

func (e *bulkEnv) finalState() finalState {
	e.t.Helper()
	st, err := store.Open(context.Background(), store.Options{Dir: filepath.Join(e.dir, "data")})
	if err != nil {
		e.t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Documents(context.Background(), store.Filter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var f finalState
	for _, r := range rows {
		reason := r.Reason
		if reason == docbridge.Duplicate && r.State == docbridge.Delivered {
			// MES already had it: sent before a kill, answered after.
			reason = ""
		}
		f.Docs = append(f.Docs, strings.Join([]string{r.UniqueID, r.SHA256, string(r.State), string(reason)}, " "))
	}
	for _, d := range e.sim.Documents() {
		f.MES = append(f.MES, strings.Join([]string{d.UniqueID, d.Patient, d.SHA1, d.Status}, " "))
	}
	sort.Strings(f.Docs)
	sort.Strings(f.MES)
	return f
}

// TestBulkResumesAfterKills runs one archive without interruption, and a
// copy of it killed twice with SIGKILL while a delivery is in flight at
// the simulator, then run again to the end. Both must end in the same
// store states, with the same documents at MES, each received once, and
// the same final report.
func TestBulkResumesAfterKills(t *testing.T) {
	const files = 200
	whole := newBulkEnv(t, files, messim.Options{})
	wantReport := whole.bulk(filepath.Join(whole.dir, "run.json"))
	want := whole.finalState()

	var posts atomic.Int32
	kill := make(chan struct{}, 2)
	killAt := map[int32]bool{15: true, 60: true}
	killed := newBulkEnv(t, files, messim.Options{Faults: func(r *http.Request) (int, bool) {
		if r.Method == http.MethodPost && killAt[posts.Add(1)] {
			kill <- struct{}{}
			time.Sleep(time.Second) // the bulk process is killed meanwhile
		}
		return 0, false
	}})
	a, b := whole.m, killed.m
	a.Pairings, b.Pairings = nil, nil // their tokens differ
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("the two generated archives differ:\n%s", diff)
	}
	for i := range 2 {
		cmd := killed.startBulk(filepath.Join(killed.dir, "killed.json"))
		select {
		case <-kill:
		case <-time.After(2 * time.Minute):
			t.Fatalf("kill %d: the delivery to interrupt never came", i+1)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		t.Logf("kill %d: %d documents at the simulator", i+1, killed.sim.Count())
	}
	if n := killed.sim.Count(); n >= len(want.MES) {
		t.Fatalf("the kills came after everything was delivered (%d documents)", n)
	}
	gotReport := killed.bulk(filepath.Join(killed.dir, "resumed.json"))
	got := killed.finalState()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("final state after two kills differs from the uninterrupted run (-whole +killed):\n%s", diff)
	}
	if diff := cmp.Diff(wantReport.Outcomes, gotReport.Outcomes); diff != "" {
		t.Errorf("final report outcomes (-whole +killed):\n%s", diff)
	}
	if diff := cmp.Diff(wantReport.Patients, gotReport.Patients); diff != "" {
		t.Errorf("final report patients (-whole +killed):\n%s", diff)
	}
	resent := 0
	for _, d := range killed.sim.Documents() {
		if len(d.History) > 1 {
			resent++
		}
	}
	// A document in flight when the process died may be sent again; MES
	// answers "already there" and keeps one copy. Up to
	// delivery.concurrency requests are in flight at once, so no more
	// than that many per kill.
	if limit := 2 * defaultConcurrency; resent > limit {
		t.Errorf("%d documents were sent again, want at most %d (delivery.concurrency per kill)", resent, limit)
	}
	log, _ := os.ReadFile(filepath.Join(killed.dir, "bulk.log"))
	killed.assertNoPatientData(string(log))
	t.Logf("%d requests for %d documents; %d resent after a kill", killed.sim.Requests(), killed.sim.Count(), resent)
}
