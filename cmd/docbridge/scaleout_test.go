//go:build chaos

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/docbridge/docbridge/internal/store/storetest"
	"github.com/docbridge/docbridge/mes/messim"
)

// TestChaosScaleOut: three `docbridge serve` instances share one PostgreSQL
// store, one drop folder, one content directory and one simulator. 5,000
// documents come in — 4,000 files in the shared folder and 1,000 ORU^R01
// spread over the instances' MLLP listeners by a sender that, like a load
// balancer, moves to the next instance when one does not answer. One
// instance is killed with SIGKILL mid-run and not restarted: the two others
// must finish its claimed files, its stored inputs and its leased
// documents. Every document must reach the simulator exactly once.
func TestChaosScaleOut(t *testing.T) {
	db := storetest.Postgres(t)
	const files, messages, instances = 4000, 1000, 3
	const docs = files + messages
	var posts atomic.Int64
	e := newE2EOn(t, db, messim.Options{}, countPosts(&posts), "")
	base, err := os.ReadFile(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	addrs := make([]string, instances)
	cmds := make([]*exec.Cmd, instances)
	for i := range instances {
		addrs[i] = freePort(t)
		cfg := filepath.Join(e.dir, fmt.Sprintf("docbridge-%d.yaml", i))
		own := fmt.Sprintf("instance: node%d\nmllp:\n  - {name: lis, addr: %q}\n", i, addrs[i])
		if err := os.WriteFile(cfg, append(append([]byte{}, base...), own...), 0o600); err != nil {
			t.Fatal(err)
		}
		cmds[i] = startChild(t, filepath.Join(e.dir, fmt.Sprintf("daemon-%d.log", i)), "serve", "-c", cfg)
	}
	start := time.Now()
	ids := e.dropCopies(files)
	var acked, moved atomic.Int64
	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		for i := range messages {
			root := fmt.Sprintf("1.2.250.1.999.78.%d", i)
			msg := oruAround(t, fmt.Sprintf("SCALE%05d", i), root)
			for try := 0; ; try++ {
				code, err := mllpTry(addrs[(i+try)%instances], msg)
				if err == nil && code == "AA" {
					acked.Add(1)
					break
				}
				if err == nil {
					t.Errorf("message %d: %s, want AA", i, code)
					return
				}
				moved.Add(1) // that instance is down: the next one
				if try >= 3*instances {
					t.Errorf("message %d: no instance answers: %v", i, err)
					return
				}
			}
		}
	}()
	for i := range messages {
		ids[fmt.Sprintf("urn:oid:1.2.250.1.999.78.%d", i)] = true
	}

	const victim = 1
	e.waitFor("a third of the documents delivered", 10*time.Minute, func() bool { return e.sim.Count() >= docs/3 })
	if err := cmds[victim].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmds[victim].Wait()
	killedAt := e.sim.Count()
	t.Logf("instance %d killed: %d delivered, %d messages acknowledged", victim, killedAt, acked.Load())

	<-senderDone
	e.waitFor("every document delivered by the survivors", 15*time.Minute, func() bool {
		return e.doneCount() == files && e.delivered() == docs
	})
	elapsed := time.Since(start)
	for i, cmd := range cmds {
		if i != victim {
			stopDaemon(t, cmd)
		}
	}
	lost, dup := e.lostAndDuplicated(ids)
	e.checkDocs(ids, files)
	perInstance := make([]int, instances)
	for i := range instances {
		log, _ := os.ReadFile(filepath.Join(e.dir, fmt.Sprintf("daemon-%d.log", i)))
		assertNoPatientData(t, string(log))
		perInstance[i] = strings.Count(string(log), `"state":"delivered"`)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"audit", "verify", "-c", e.cfg}, &out, &out); err != nil {
		t.Errorf("audit verify after three writers: %v\n%s", err, out.String())
	}
	t.Logf("FIGURES scale-out: instances=%d documents=%d (files %d, mllp %d) killed=node%d at %d delivered; lost=%d duplicated=%d "+
		"requests_per_document=%.3f mllp_moved_to_next=%d deliveries_per_instance=%v elapsed=%s",
		instances, docs, files, messages, victim, killedAt, lost, dup, float64(posts.Load())/docs, moved.Load(), perInstance, elapsed.Round(time.Second))
}
