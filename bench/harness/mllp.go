package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/docbridge/docbridge/hl7"
)

// mllpResult is one run of item 4.
type mllpResult struct {
	Acked, Other int
	Elapsed      time.Duration
	Conns        int
	MsgBytes     int
	// CPU is the daemon's CPU time (user + system) during the run; 0 when
	// unknown (the echo server).
	CPU time.Duration
	// Drained is the time from the first message to the last of its
	// documents filed at MES, and CPUDrained the daemon's CPU time until
	// then (0: not measured): the acknowledgements go first (senders that
	// wait for an answer), so the documents' delivery ends after them.
	Drained, CPUDrained time.Duration
}

// cpuPerAA is the daemon's CPU time per acknowledged message.
func (r mllpResult) cpuPerAA() time.Duration {
	if r.Acked == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Acked)
}

// runDaemonMLLP is runMLLP against daemon d, with d's CPU time, then waits
// for the documents of the messages to be delivered to sim.
func runDaemonMLLP(d *daemon, sim *simulator, t *templates, run, conns, perConn int) (mllpResult, error) {
	start := time.Now()
	before, cerr := cpuTime(d.cmd.Process.Pid)
	res, uids, err := runMLLP(d.mllpAddr, t, run, conns, perConn)
	after, cerr2 := cpuTime(d.cmd.Process.Pid)
	if cerr == nil && cerr2 == nil {
		res.CPU = after - before
	}
	if err != nil {
		return res, err
	}
	if err := sim.waitAll(uids, 5*time.Minute); err != nil {
		return res, fmt.Errorf("MLLP documents: %w", err)
	}
	res.Drained = time.Since(start)
	if after, err := cpuTime(d.cmd.Process.Pid); err == nil && cerr == nil {
		res.CPUDrained = after - before
	}
	return res, nil
}

func (r mllpResult) perSec() float64 { return float64(r.Acked) / r.Elapsed.Seconds() }

// runMLLP sends perConn synthetic ORU^R01 on each of conns connections at
// once, each connection waiting for the ACK of a message before sending
// the next (as an LIS does), and counts the AA answers. An AA means the
// message is durably stored. It returns the uniqueIds of the messages'
// documents.
func runMLLP(addr string, t *templates, run, conns, perConn int) (mllpResult, []string, error) {
	msgs := make([][][]byte, conns)
	var uids []string
	for c := range msgs {
		for i := 0; i < perConn; i++ {
			ctl, root := fmt.Sprintf("B%d-%d-%d", run, c, i), fmt.Sprintf("%s.%d.%d.%d", docRoot, 3000+run, c, i)
			msgs[c] = append(msgs[c], t.oruMessage(ctl, root))
			uids = append(uids, uniqueID(root))
		}
	}
	res := mllpResult{Conns: conns, MsgBytes: len(msgs[0][0])}
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acked, other, err := sendAll(addr, msgs[c])
			mu.Lock()
			defer mu.Unlock()
			res.Acked += acked
			res.Other += other
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res, uids, firstErr
}

func sendAll(addr string, msgs [][]byte) (acked, other int, err error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, 0, err
	}
	defer nc.Close()
	r := hl7.NewReader(nc, 0)
	for _, m := range msgs {
		nc.SetDeadline(time.Now().Add(60 * time.Second))
		if err := hl7.WriteFrame(nc, m); err != nil {
			return acked, other, fmt.Errorf("send: %w", err)
		}
		raw, err := r.ReadMessage()
		if err != nil {
			return acked, other, fmt.Errorf("read ACK: %w", err)
		}
		ack, err := hl7.Parse(raw)
		if err != nil {
			return acked, other, fmt.Errorf("parse ACK: %w", err)
		}
		s, _ := ack.Segment("MSA")
		if s.Field(1).String() == "AA" {
			acked++
		} else {
			other++
		}
	}
	return acked, other, nil
}

// mllpRows are the MLLP figure and, beside it, the machine's ceilings
// measured in the same runs, each ratio the median of the per-run ratios.
func (r *report) mllpRows() []row {
	var aa, cpu, drained, cpuDrained, echo, durable, floor, commits, files, vsEcho, vsDurable, vsFloor, vsCommits []float64
	for i, m := range r.MLLP {
		aa, cpu = append(aa, m.perSec()), append(cpu, float64(m.cpuPerAA())/1e6)
		if m.Drained > 0 && m.Acked > 0 {
			drained = append(drained, m.Drained.Seconds())
			cpuDrained = append(cpuDrained, float64(m.CPUDrained)/float64(m.Acked)/1e6)
		}
		if i < len(r.Ceilings) {
			c := r.Ceilings[i]
			echo, commits, files = append(echo, c.Echo), append(commits, c.Commits), append(files, c.FileSyncs)
			durable, floor = append(durable, c.DurableEcho), append(floor, c.Floor)
			vsEcho, vsCommits = append(vsEcho, m.perSec()/c.Echo), append(vsCommits, m.perSec()/c.Commits)
			vsDurable, vsFloor = append(vsDurable, m.perSec()/c.DurableEcho), append(vsFloor, m.perSec()/c.Floor)
		}
	}
	ms := statOf(aa)
	rows := []row{{fmt.Sprintf("MLLP AA/s (%d conns)", r.Config.conns), ms.f(0), "", "", ">= 2000", verdict(ms.med >= 2000)},
		{"  daemon CPU per AA, while acknowledging (ms)", statOf(cpu).f(2), "", "", "", ""}}
	if len(drained) > 0 {
		rows = append(rows,
			row{"  every document delivered after (s, from the first message)", statOf(drained).f(2), "", "", "", ""},
			row{"  daemon CPU per message until then (ms)", statOf(cpuDrained).f(2), "", "", "", ""})
	}
	if len(echo) == 0 {
		return rows
	}
	return append(rows,
		row{"  MLLP floor: convert + group commit, same load (AA/s)", statOf(floor).f(0), "", fmt.Sprintf("%.2fx", statOf(vsFloor).med), "", ""},
		row{"  durable echo: group commit only, same load (AA/s)", statOf(durable).f(0), "", fmt.Sprintf("%.2fx", statOf(vsDurable).med), "", ""},
		row{"  bare MLLP echo server, same load (AA/s)", statOf(echo).f(0), "", fmt.Sprintf("%.2fx", statOf(vsEcho).med), "", ""},
		row{"  SQLite FULL commits/s, one at a time", statOf(commits).f(0), "", fmt.Sprintf("%.2fx", statOf(vsCommits).med), "", ""},
		row{"  small file create+write+fsync/s", statOf(files).f(0), "", "", "", ""},
	)
}

// runOnlyMLLP is the harness with -only mllp: per run a fresh daemon
// takes the MLLP load, then the ceilings are measured; it prints the MLLP
// rows and rewrites no report.
func runOnlyMLLP(ctx context.Context, bin, work string, sim *simulator, t *templates, rep *report) error {
	c := rep.Config
	for r := 1; r <= c.runs; r++ {
		step(fmt.Sprintf("run %d/%d: MLLP", r, c.runs))
		d, err := newDaemon(ctx, bin, filepath.Join(work, fmt.Sprintf("mllp-%d", r)), sim)
		if err != nil {
			return err
		}
		if err := d.start(); err != nil {
			return err
		}
		mr, err := runDaemonMLLP(d, sim, t, r, c.conns, c.perConn)
		d.stop()
		if err != nil {
			return fmt.Errorf("run %d MLLP: %w (log %s)", r, err, filepath.Join(d.dir, "daemon.log"))
		}
		rep.MLLP = append(rep.MLLP, mr)
		step(fmt.Sprintf("run %d/%d: the machine's ceilings", r, c.runs))
		ce, err := measureCeilings(ctx, filepath.Join(work, fmt.Sprintf("ceilings-%d", r)), t, r, c.conns, c.perConn)
		if err != nil {
			return fmt.Errorf("run %d ceilings: %w", r, err)
		}
		rep.Ceilings = append(rep.Ceilings, ce)
		fmt.Fprintf(os.Stderr, "  MLLP %.0f AA/s, daemon CPU %.2f ms/AA, all delivered after %.2f s; floor %.0f AA/s, durable echo %.0f AA/s, echo %.0f AA/s, %.0f commits/s, %.0f file fsyncs/s (load %s)\n",
			mr.perSec(), float64(mr.cpuPerAA())/1e6, mr.Drained.Seconds(), ce.Floor, ce.DurableEcho, ce.Echo, ce.Commits, ce.FileSyncs, loadavg())
	}
	for _, x := range rep.mllpRows() {
		fmt.Printf("%-44s %-22s %-8s %-10s %s\n", x.measure, x.value, x.ratio, x.target, x.verdict)
	}
	return nil
}
