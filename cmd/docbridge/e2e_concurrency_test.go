package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mes/messim"
	"github.com/docbridge/docbridge/samples"
)

// withConcurrency sets delivery.concurrency in the e2e configuration.
func (e *e2e) withConcurrency(n int) {
	e.t.Helper()
	b, err := os.ReadFile(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	cfg := strings.Replace(string(b), "lease: 5s}", fmt.Sprintf("lease: 5s, concurrency: %d}", n), 1)
	if cfg == string(b) {
		e.t.Fatal("no delivery section to change in the e2e configuration")
	}
	os.WriteFile(e.cfg, []byte(cfg), 0o600)
}

// gate holds document requests in front of the simulator until opened, so
// that a test can let the documents accumulate before MES answers.
type gate struct{ open chan struct{} }

func (g gate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			select {
			case <-g.open:
			case <-r.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// TestEndToEndConcurrentDelivery: 64 documents to a MES 100 ms away, with
// delivery.concurrency 16. The documents are held at MES's door until all
// were taken in, so that the deliveries can overlap; then MES holds each
// exactly once and saw at least 8 and at most 16 requests at once, where a
// daemon sending one at a time would show 1 (and take 64 × 100 ms).
func TestEndToEndConcurrentDelivery(t *testing.T) {
	const n, concurrency = 64, 16
	g := gate{open: make(chan struct{})}
	e := newE2EServer(t, messim.Options{Latency: 100 * time.Millisecond, Jitter: 10 * time.Millisecond}, g.wrap, "")
	e.withConcurrency(concurrency)
	cmd := e.start()
	ids := e.dropCopies(n)
	e.waitFor("every file taken in", time.Minute, func() bool { return e.doneCount() == n })
	close(g.open)
	start := time.Now()
	e.waitFor(fmt.Sprintf("%d deliveries", n), 2*time.Minute, func() bool { return e.delivered() == n })
	took := time.Since(start)
	stopDaemon(t, cmd)
	e.check(ids)
	got := e.sim.MaxInFlight()
	t.Logf("FIGURES concurrent delivery: documents=%d latency=100ms±10ms concurrency=%d max_in_flight=%d took=%s (one at a time: ≥ %s)",
		n, concurrency, got, took.Round(time.Millisecond), time.Duration(n)*100*time.Millisecond)
	if got < concurrency/2 || got > concurrency {
		t.Errorf("the simulator saw at most %d requests at once, want %d … %d", got, concurrency/2, concurrency)
	}
}

// TestEndToEndReplacementsUnderConcurrency: twenty reports to a MES 50 ms
// away; their replacements arrive while the first versions are in flight,
// and MES's answers to half of the first versions are lost. With 16
// requests in flight, MES ends with exactly one current version of each
// report, the replacement naming its first version, which is superseded.
func TestEndToEndReplacementsUnderConcurrency(t *testing.T) {
	const reports = 20
	var sent atomic.Int64
	e := newE2EWith(t, messim.Options{Latency: 50 * time.Millisecond, Jitter: 10 * time.Millisecond, LoseAnswers: loseHalfOfFirst(reports, &sent)})
	e.withConcurrency(16)
	cmd := e.start()
	for i := range reports {
		e.dropReport("cr-bio-structured.xml", i)
	}
	e.waitFor("every first version taken in", time.Minute, func() bool { return e.doneCount() == reports })
	for i := range reports {
		e.dropReport("cr-bio-replace.xml", i)
	}
	e.waitFor("every replacement delivered", 2*time.Minute, func() bool {
		return e.delivered() == reports && e.inState(docbridge.Superseded) == reports
	})
	stopDaemon(t, cmd)
	e.checkOneCurrentEach(reports)
	t.Logf("FIGURES replacements under concurrency: reports=%d requests=%d max_in_flight=%d", reports, e.sim.Requests(), e.sim.MaxInFlight())
}

// dropReport drops copy i of a sample report, its ids made its own.
func (e *e2e) dropReport(sample string, i int) {
	e.t.Helper()
	b, err := fs.ReadFile(samples.FS, sample)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, id := range []string{"1.2.250.1.999.42.1.1002", "1.2.250.1.999.42.1.1004", "1.2.250.1.999.42.2.1002"} {
		b = bytes.ReplaceAll(b, []byte(id+`"`), []byte(fmt.Sprintf("%s.%d\"", id, i)))
	}
	drop := filepath.Join(e.dir, "drop")
	os.MkdirAll(drop, 0o750)
	name := fmt.Sprintf("%d-%s", i, sample)
	if err := os.WriteFile(filepath.Join(drop, "."+name+".part"), b, 0o600); err != nil {
		e.t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(drop, "."+name+".part"), filepath.Join(drop, name)); err != nil {
		e.t.Fatal(err)
	}
}
