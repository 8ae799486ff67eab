package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// pipelineResult is one run of item 1: latency at low load (one document
// at a time) and throughput at full load (every document dropped at once).
type pipelineResult struct {
	Low        []time.Duration // drop-to-delivered, one document at a time
	FullDocs   int
	FullBytes  int64
	FullTime   time.Duration // first drop to last delivery
	IntakeTime time.Duration // first drop to the last file in done/ (the drop folder alone)
	FullCPU    time.Duration // the daemon's CPU time (user + system) during the full load
	SimCPU     time.Duration // the harness's (the simulator's, mostly) during the full load
	FullLat    []time.Duration
	LoadBefore string
}

func (r pipelineResult) docsPerSec() float64 { return float64(r.FullDocs) / r.FullTime.Seconds() }

// genDocs generates n documents of 50–150 KB whose ids are
// <docRoot>.<tag>.<i>.
func genDocs(t *templates, seed uint64, tag, n int) (roots []string, docs [][]byte) {
	rng := rand.New(rand.NewPCG(seed, uint64(tag)))
	for i := 0; i < n; i++ {
		root := fmt.Sprintf("%s.%d.%d", docRoot, tag, i)
		roots = append(roots, root)
		docs = append(docs, t.smallDoc(rng, root, i, 50_000+rng.IntN(100_001)))
	}
	return roots, docs
}

// runPipeline measures docbridge on a running daemon. Drop time is the
// rename into the drop folder; delivered time is the end of the
// simulator's handling of the POST (the document is then filed in MES).
func runPipeline(d *daemon, sim *simulator, t *templates, run, nLow, nFull int) (pipelineResult, error) {
	res := pipelineResult{LoadBefore: loadavg()}
	roots, docs := genDocs(t, 7, 1000+run, nLow)
	for i, doc := range docs {
		at, err := d.dropFile(fmt.Sprintf("low-%d-%04d.xml", run, i), doc)
		if err != nil {
			return res, err
		}
		uid := uniqueID(roots[i])
		if err := sim.waitAll([]string{uid}, 60*time.Second); err != nil {
			return res, fmt.Errorf("low load: %w", err)
		}
		got, _ := sim.receivedAt(uid)
		res.Low = append(res.Low, got.Sub(at))
	}

	roots, docs = genDocs(t, 11, 2000+run, nFull)
	drops := make([]time.Time, len(docs))
	uids := make([]string, len(docs))
	for i, doc := range docs {
		res.FullBytes += int64(len(doc))
		uids[i] = uniqueID(roots[i])
	}
	// Write all the files first, then rename them in as fast as possible.
	names := make([]string, len(docs))
	for i, doc := range docs {
		names[i] = fmt.Sprintf("full-%d-%04d.xml", run, i)
		if err := d.stage(names[i], doc); err != nil {
			return res, err
		}
	}
	// The drop folder's own pace: when done/ holds every file (the low
	// load's ones too), polled every 20 ms.
	intake := make(chan time.Time, 1)
	go func() {
		for deadline := time.Now().Add(10 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if e, _ := os.ReadDir(filepath.Join(d.drop, "done")); len(e) >= nLow+nFull {
				intake <- time.Now()
				return
			}
		}
		intake <- time.Time{}
	}()
	cpu0, cpuErr := d.cpu()
	sim0 := selfCPU()
	for i, name := range names {
		at, err := d.publish(name)
		if err != nil {
			return res, err
		}
		drops[i] = at
	}
	if err := sim.waitAll(uids, 10*time.Minute); err != nil {
		return res, fmt.Errorf("full load: %w", err)
	}
	res.SimCPU = selfCPU() - sim0
	if cpu1, err := d.cpu(); err == nil && cpuErr == nil {
		res.FullCPU = cpu1 - cpu0
	}
	if at := <-intake; !at.IsZero() {
		res.IntakeTime = at.Sub(drops[0])
	}
	res.FullDocs = len(docs)
	var last time.Time
	for i, u := range uids {
		got, _ := sim.receivedAt(u)
		res.FullLat = append(res.FullLat, got.Sub(drops[i]))
		if got.After(last) {
			last = got
		}
	}
	res.FullTime = last.Sub(drops[0])
	return res, nil
}

// percentile returns the p-th percentile (0–100, nearest rank) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	k := int(p/100*float64(len(s))+0.5) - 1
	return s[min(max(k, 0), len(s)-1)]
}
