// Command harness is docbridge's benchmark harness (`make bench`): it builds
// docbridge, runs `docbridge serve` as a real process against the MES
// simulator on loopback, and measures the pipeline (throughput and
// drop-to-delivered latency), a floor program doing only the unavoidable
// work, a 200 MB document's peak memory, MLLP acknowledgements per second
// and the HL7 parser comparison. It prints a table and rewrites the
// generated part of BENCHMARKS.md (between the bench markers).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type config struct {
	runs, nLow, nFull, conns, perConn, countDocs int
	nDeliver                                     int
	growth, growthIntake, growthSamples          int
	largeMB                                      int64
	out, work, bin, only                         string
	skipHL7, keep                                bool
}

func main() {
	var c config
	flag.IntVar(&c.runs, "runs", 3, "repetitions of the pipeline, floor and MLLP measures")
	flag.IntVar(&c.nLow, "low", 40, "documents sent one at a time (latency)")
	flag.IntVar(&c.nFull, "full", 300, "documents dropped at once (throughput)")
	flag.IntVar(&c.conns, "conns", 4, "MLLP connections")
	flag.IntVar(&c.perConn, "msgs", 500, "MLLP messages per connection")
	flag.IntVar(&c.nDeliver, "deliver", 160, "documents delivered at once to a remote and a local MES (delivery throughput; 0 skips)")
	flag.IntVar(&c.growth, "growth", 1_000_000, "stored documents of the growth measure (console, /metrics and intake at 0 and at this many; 0 skips)")
	flag.IntVar(&c.growthIntake, "growth-intake", 200, "documents dropped at once to measure intake at each store size")
	flag.IntVar(&c.growthSamples, "growth-samples", 20, "requests per console page and size")
	flag.IntVar(&c.countDocs, "count-docs", 40, "documents dropped at once to count fsyncs with strace")
	flag.IntVar(&folderConcurrency, "folder-concurrency", folderConcurrency, "the drop folder's concurrency (folders[].concurrency), and the floor's intake workers")
	flag.Int64Var(&c.largeMB, "large-mb", 200, "size of the big PDF in MB (0 skips)")
	flag.StringVar(&c.out, "out", "BENCHMARKS.md", "report file (its generated section is replaced)")
	flag.StringVar(&c.work, "work", "", "work directory (default: a new temp dir, removed after)")
	flag.StringVar(&c.bin, "bin", "", "use this docbridge binary instead of building one")
	flag.BoolVar(&c.skipHL7, "skip-hl7", false, "do not run bench/hl7/run.sh")
	flag.BoolVar(&c.keep, "keep", false, "keep the work directory")
	flag.StringVar(&c.only, "only", "", `"mllp": only the MLLP measure and the machine's ceilings beside it (a fresh daemon per run; BENCHMARKS.md is not rewritten)`)
	flag.Parse()
	if folderConcurrency < 1 {
		fmt.Fprintln(os.Stderr, "harness: -folder-concurrency must be at least 1")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintf(os.Stderr, "harness: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return fmt.Errorf("run the harness from the repository root (make bench)")
	}
	work := c.work
	if work == "" {
		if work, err = os.MkdirTemp("", "docbridge-bench-"); err != nil {
			return err
		}
		if !c.keep {
			defer os.RemoveAll(work)
		}
	}
	bin := c.bin
	if bin == "" {
		bin = filepath.Join(work, "docbridge")
		step("build docbridge")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/docbridge").CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %w: %s", err, out)
		}
	}
	t, err := loadTemplates()
	if err != nil {
		return err
	}
	simDir := filepath.Join(work, "sim")
	os.MkdirAll(simDir, 0o700)
	sim, err := startSimulator(simDir)
	if err != nil {
		return err
	}
	defer sim.close()

	rep := report{Machine: describeMachine(work), Config: c, LoadStart: loadavg()}
	switch c.only {
	case "":
	case "mllp":
		return runOnlyMLLP(ctx, bin, work, sim, t, &rep)
	default:
		return fmt.Errorf("-only %q: the one part that runs alone is mllp", c.only)
	}
	step("count durable writes per document (strace)")
	if rep.Counts, err = countSyncs(ctx, bin, filepath.Join(work, "count"), sim, t, c.countDocs); err != nil {
		return fmt.Errorf("count fsyncs: %w", err)
	}
	for r := 1; r <= c.runs; r++ {
		floor := func() error {
			step(fmt.Sprintf("run %d/%d: floor", r, c.runs))
			fl, err := runFloor(ctx, filepath.Join(work, fmt.Sprintf("floor-%d", r)), sim, t, r, c.nFull)
			rep.Floor = append(rep.Floor, fl)
			return err
		}
		pipeline := func() error {
			step(fmt.Sprintf("run %d/%d: docbridge pipeline", r, c.runs))
			d, err := newDaemon(ctx, bin, filepath.Join(work, fmt.Sprintf("run-%d", r)), sim)
			if err != nil {
				return err
			}
			if err := d.start(); err != nil {
				return err
			}
			defer d.stop()
			pr, err := runPipeline(d, sim, t, r, c.nLow, c.nFull)
			if err != nil {
				return fmt.Errorf("run %d: %w (log %s)", r, err, filepath.Join(d.dir, "daemon.log"))
			}
			rep.Pipeline = append(rep.Pipeline, pr)
			step(fmt.Sprintf("run %d/%d: MLLP", r, c.runs))
			mr, err := runDaemonMLLP(d, sim, t, r, c.conns, c.perConn)
			if err != nil {
				return fmt.Errorf("run %d MLLP: %w", r, err)
			}
			rep.MLLP = append(rep.MLLP, mr)
			return nil
		}
		// The floor and docbridge take turns going first, so that a load
		// that rises or falls during the run favours neither.
		first, second := floor, pipeline
		if r%2 == 0 {
			first, second = pipeline, floor
		}
		if err := first(); err != nil {
			return err
		}
		if err := second(); err != nil {
			return err
		}
		step(fmt.Sprintf("run %d/%d: the machine's ceilings", r, c.runs))
		ce, err := measureCeilings(ctx, filepath.Join(work, fmt.Sprintf("ceilings-%d", r)), t, r, c.conns, c.perConn)
		if err != nil {
			return fmt.Errorf("run %d ceilings: %w", r, err)
		}
		rep.Ceilings = append(rep.Ceilings, ce)
	}
	for r := 1; c.nDeliver > 0 && r <= c.runs; r++ {
		run := map[string]deliveryResult{}
		for _, m := range deliveryRuns {
			step(fmt.Sprintf("run %d/%d: delivery, %s MES (latency %v, concurrency %d)", r, c.runs, m.name, m.latency, m.concurrency))
			res, err := runDelivery(ctx, bin, filepath.Join(work, fmt.Sprintf("deliver-%d-%s", r, m.name)), t, r, max(1, c.nDeliver/m.share), m.concurrency, m.latency)
			if err != nil {
				return fmt.Errorf("run %d delivery %s: %w", r, m.name, err)
			}
			run[m.name] = res
		}
		rep.Delivery = append(rep.Delivery, run)
	}
	if c.growth > 0 {
		if rep.Growth, err = runGrowth(ctx, bin, filepath.Join(work, "growth"), sim, t, c.growth, c.growthIntake, c.growthSamples); err != nil {
			return err
		}
	}
	if c.largeMB > 0 {
		step(fmt.Sprintf("large document: %d MB PDF", c.largeMB))
		rep.Large = runLarge(ctx, bin, filepath.Join(work, "large"), sim, t, c.largeMB*1_000_000)
		rep.HasLarge = true
	}
	if !c.skipHL7 {
		step("HL7 parser comparison (bench/hl7/run.sh)")
		h := runHL7(ctx, root)
		rep.HL7 = &h
	}
	rep.LoadEnd = loadavg()
	table := rep.table()
	fmt.Println()
	fmt.Println(table)
	if c.out != "" {
		if err := writeReport(c.out, rep.markdown()); err != nil {
			return err
		}
		fmt.Printf("\nwrote %s\n", c.out)
	}
	return nil
}

// runFloor stages n documents and runs the floor over them.
func runFloor(ctx context.Context, dir string, sim *simulator, t *templates, run, n int) (floorResult, error) {
	f, err := newFloor(ctx, dir, sim, t)
	if err != nil {
		return floorResult{}, err
	}
	defer f.close()
	roots, docs := genDocs(t, 13, 5000+run, n)
	names := make([]string, len(docs))
	res := floorResult{Docs: n}
	for i, doc := range docs {
		names[i] = fmt.Sprintf("floor-%04d.xml", i)
		res.Bytes += int64(len(doc))
		if err := os.WriteFile(filepath.Join(dir, "in", names[i]), doc, 0o600); err != nil {
			return res, err
		}
	}
	res.Load = loadavg()
	cpu0 := selfCPU()
	if res.Elapsed, res.Intake, err = f.run(ctx, names); err != nil {
		return res, err
	}
	res.CPU = selfCPU() - cpu0
	res.Commits, res.Files, res.Dirs = f.fsyncs.commits.Load(), f.fsyncs.files.Load(), f.fsyncs.dirs.Load()
	for _, r := range roots {
		if _, ok := sim.receivedAt(uniqueID(r)); !ok {
			return res, fmt.Errorf("floor: %s not received", r)
		}
	}
	return res, nil
}

type floorResult struct {
	Docs    int
	Bytes   int64
	Elapsed time.Duration
	Intake  time.Duration // until the last file was in done/
	// CPU is the harness process's CPU time during the run: the floor's
	// and the simulator's.
	CPU  time.Duration
	Load string
	// The fsyncs the floor made (counted in-process): SQLite commits,
	// content files, directories.
	Commits, Files, Dirs int64
}

func (r floorResult) docsPerSec() float64 { return float64(r.Docs) / r.Elapsed.Seconds() }

// selfCPU returns the CPU time (user + system) this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func step(s string) {
	fmt.Fprintf(os.Stderr, "%s  %s (load %s)\n", time.Now().Format("15:04:05"), s, strings.TrimSpace(loadavg()))
}
