package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// deliveryResult is one measure of delivery throughput (issue 17): Docs
// documents are taken in while their patient is not paired yet (held),
// then released together by the pairing, and delivered to a simulator
// Latency away (± a tenth) with Concurrency requests allowed in flight.
// Elapsed runs from the first request's arrival at the simulator to the
// last document filed there: delivery alone, without intake.
type deliveryResult struct {
	Latency     time.Duration
	Concurrency int
	Docs        int
	Elapsed     time.Duration
	MaxInFlight int // the most requests the simulator was handling at once
	Load        string
}

func (r deliveryResult) docsPerSec() float64 { return float64(r.Docs) / r.Elapsed.Seconds() }

// ceiling is what Concurrency requests in flight, each Latency long, can
// deliver per second at most (0 without latency).
func (r deliveryResult) ceiling() float64 {
	if r.Latency <= 0 {
		return 0
	}
	return float64(r.Concurrency) / r.Latency.Seconds()
}

// deliveryRuns are the measures of one run: a remote MES with the default
// concurrency, the same without latency, and a remote MES one request at a
// time (docbridge before issue 17), on a quarter of the documents.
var deliveryRuns = []struct {
	name        string
	latency     time.Duration
	concurrency int
	share       int // of the documents: n/share
}{
	{"remote", 100 * time.Millisecond, 16, 1},
	{"local", 0, 16, 1},
	{"serial", 100 * time.Millisecond, 1, 4},
}

// runDelivery measures delivery throughput with a fresh daemon and
// simulator in dir.
func runDelivery(ctx context.Context, bin, dir string, t *templates, run, n, concurrency int, latency time.Duration) (deliveryResult, error) {
	res := deliveryResult{Latency: latency, Concurrency: concurrency, Docs: n}
	if err := os.MkdirAll(filepath.Join(dir, "sim"), 0o700); err != nil {
		return res, err
	}
	sim, err := startRemoteSimulator(filepath.Join(dir, "sim"), latency, latency/10)
	if err != nil {
		return res, err
	}
	defer sim.close()
	d, err := newUnpairedDaemon(bin, filepath.Join(dir, "daemon"), sim, fmt.Sprintf("delivery: {concurrency: %d}\n", concurrency))
	if err != nil {
		return res, err
	}
	if err := d.start(); err != nil {
		return res, err
	}
	defer d.stop()
	roots, docs := genDocs(t, 17, 3000+100*run+concurrency+int(latency/time.Millisecond), n)
	uids := make([]string, n)
	for i, doc := range docs {
		uids[i] = uniqueID(roots[i])
		if _, err := d.dropFile(fmt.Sprintf("deliver-%04d.xml", i), doc); err != nil {
			return res, err
		}
	}
	if err := waitDone(filepath.Join(d.drop, "done"), n, 5*time.Minute); err != nil {
		return res, err
	}
	res.Load = loadavg()
	if err := d.pair(ctx, sim); err != nil {
		return res, err
	}
	if err := sim.waitAll(uids, 10*time.Minute); err != nil {
		return res, fmt.Errorf("delivery (log %s): %w", filepath.Join(d.dir, "daemon.log"), err)
	}
	var last time.Time
	for _, u := range uids {
		if at, _ := sim.receivedAt(u); at.After(last) {
			last = at
		}
	}
	sim.mu.Lock()
	res.Elapsed = last.Sub(sim.firstPost)
	sim.mu.Unlock()
	res.MaxInFlight = sim.sim.MaxInFlight()
	return res, nil
}

// waitDone waits until the folder dir holds n entries (the drop folder's
// done/: every file taken in), or timeout.
func waitDone(dir string, n int, timeout time.Duration) error {
	for deadline := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		entries, _ := os.ReadDir(dir)
		if len(entries) >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d files taken in after %s", len(entries), n, timeout)
		}
	}
}

// deliveryRows are the report's rows of the delivery measures.
func (r *report) deliveryRows() []row {
	if len(r.Delivery) == 0 {
		return nil
	}
	by := map[string][]float64{}
	var toCeiling, toLocal []float64
	var inFlight []float64
	for _, run := range r.Delivery {
		for name, m := range run {
			by[name] = append(by[name], m.docsPerSec())
		}
		remote, local := run["remote"], run["local"]
		toCeiling = append(toCeiling, remote.docsPerSec()/remote.ceiling())
		toLocal = append(toLocal, remote.docsPerSec()/local.docsPerSec())
		inFlight = append(inFlight, float64(remote.MaxInFlight))
	}
	first := r.Delivery[0]
	remote, serial := first["remote"], first["serial"]
	ceiling := remote.ceiling()
	c := statOf(toCeiling)
	return []row{
		{fmt.Sprintf("delivery, MES %v away, concurrency %d (docs/s)", remote.Latency, remote.Concurrency), statOf(by["remote"]).f(1),
			fmt.Sprintf("%.0f/s", ceiling), fmt.Sprintf("%.2fx", c.med), ">= 0.8x", verdict(c.med >= 0.8)},
		{"  its most requests in flight at MES", statOf(inFlight).f(0), "", "", "", ""},
		{"  vs the same without latency (docs/s)", statOf(by["local"]).f(1), "local", fmt.Sprintf("%.2fx", statOf(toLocal).med), "", ""},
		{fmt.Sprintf("  one request at a time, MES %v away (docs/s)", serial.Latency), statOf(by["serial"]).f(1), "", "", "", ""},
	}
}
