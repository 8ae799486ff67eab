package main

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// report holds every measure of one harness run.
type report struct {
	Machine            machine
	Config             config
	LoadStart, LoadEnd string
	Counts             syncCounts
	Floor              []floorResult
	Pipeline           []pipelineResult
	MLLP               []mllpResult
	Ceilings           []ceilings // per run, beside MLLP
	Large              largeResult
	HasLarge           bool
	HL7                *hl7Result
	// Delivery holds, per run, the delivery measures by deliveryRuns name.
	Delivery []map[string]deliveryResult
	// Growth holds the growth measure at each store size, smallest first.
	Growth []growthPoint
}

// stat is a median with its range over the runs.
type stat struct{ med, lo, hi float64 }

func statOf(xs []float64) stat {
	if len(xs) == 0 {
		return stat{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return stat{med: s[len(s)/2], lo: s[0], hi: s[len(s)-1]}
}

func (s stat) f(prec int) string {
	return fmt.Sprintf("%.*f [%.*f–%.*f]", prec, s.med, prec, s.lo, prec, s.hi)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

type row struct{ measure, value, baseline, ratio, target, verdict string }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func (r *report) rows() []row {
	var rows []row
	var fl, db, ratio, p50, p99, fp50, fp99, fin, din, inRatio, cpu, fcpu []float64
	for i := range r.Pipeline {
		if c := r.Pipeline[i].FullCPU; c > 0 {
			cpu = append(cpu, ms(c)/float64(r.Pipeline[i].FullDocs))
		}
		// The floor runs in the harness, beside the simulator: its CPU is
		// the harness's during the floor run less the harness's (the
		// simulator's) during docbridge's full load, per document.
		if f, p := r.Floor[i], r.Pipeline[i]; f.CPU > 0 && p.FullDocs > 0 {
			fcpu = append(fcpu, ms(f.CPU)/float64(f.Docs)-ms(p.SimCPU)/float64(p.FullDocs))
		}
		f, p := r.Floor[i].docsPerSec(), r.Pipeline[i].docsPerSec()
		fl, db, ratio = append(fl, f), append(db, p), append(ratio, p/f)
		if fi, di := r.Floor[i].Intake, r.Pipeline[i].IntakeTime; fi > 0 && di > 0 {
			a, b := float64(r.Floor[i].Docs)/fi.Seconds(), float64(r.Pipeline[i].FullDocs)/di.Seconds()
			fin, din, inRatio = append(fin, a), append(din, b), append(inRatio, b/a)
		}
		p50 = append(p50, ms(percentile(r.Pipeline[i].Low, 50)))
		p99 = append(p99, ms(percentile(r.Pipeline[i].Low, 99)))
		fp50 = append(fp50, ms(percentile(r.Pipeline[i].FullLat, 50)))
		fp99 = append(fp99, ms(percentile(r.Pipeline[i].FullLat, 99)))
	}
	rt := statOf(ratio)
	rows = append(rows,
		row{fmt.Sprintf("floor (docs/s, %d workers, group commit)", folderConcurrency), statOf(fl).f(1), "", "", "", ""},
		row{"pipeline, full load (docs/s)", statOf(db).f(1), "floor", fmt.Sprintf("%.2fx", rt.med), ">= 0.8x", verdict(rt.med >= 0.8)},
		row{"  the drop folder alone: files into done/ per s", statOf(din).f(1), "floor's", fmt.Sprintf("%.2fx", statOf(inRatio).med), "", ""},
		row{"  the floor's intake alone: files into done/ per s", statOf(fin).f(1), "", "", "", ""},
		row{"  docbridge's CPU per document, full load (ms)", statOf(cpu).f(2), "", "", "", ""},
		row{"  the floor's CPU per document (ms, simulator's share taken out)", statOf(fcpu).f(2), "", "", "", ""},
		row{"low load p50 drop-to-delivered (ms)", statOf(p50).f(1), "", "", "<= 20", verdict(statOf(p50).med <= 20)},
		row{"low load p99 drop-to-delivered (ms)", statOf(p99).f(1), "", "", "<= 100", verdict(statOf(p99).med <= 100)},
		row{"full load p50 / p99 (ms)", fmt.Sprintf("%.0f / %.0f", statOf(fp50).med, statOf(fp99).med), "", "", "", ""},
	)
	if r.HasLarge {
		l := r.Large
		v := fmt.Sprintf("%.1f MB (idle %.1f MB)", float64(l.PeakHWM)/1e6, float64(l.IdleHWM)/1e6)
		ok := l.Err == nil && l.PeakHWM <= 64<<20
		if l.Err != nil {
			v += " error: " + firstLine(l.Err.Error())
		}
		rows = append(rows, row{fmt.Sprintf("%d MB PDF in CDA N1: peak RSS (VmHWM)", l.PDFBytes/1_000_000), v, "", "", "<= 64 MiB", verdict(ok)})
		if l.Err == nil {
			rows = append(rows, row{"  its drop-to-delivered (s)", fmt.Sprintf("%.1f", l.Elapsed.Seconds()), "", "", "", ""})
		}
	}
	rows = append(rows, r.mllpRows()...)
	rows = append(rows, r.deliveryRows()...)
	return append(rows, r.growthRows()...)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// table renders the rows as text.
func (r *report) table() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%-40s %-34s %-7s %-8s %-10s %s\n", "measure", "median [range]", "vs", "ratio", "target", "")
	for _, x := range r.rows() {
		fmt.Fprintf(&b, "%-40s %-34s %-7s %-8s %-10s %s\n", x.measure, x.value, x.baseline, x.ratio, x.target, x.verdict)
	}
	if r.HL7 != nil {
		b.WriteString("\nHL7 v2 parser vs simple-hl7 (bench/hl7/run.sh):\n")
		if r.HL7.Err != nil {
			fmt.Fprintf(&b, "  not run: %v\n", r.HL7.Err)
		}
		for _, l := range r.HL7.Table {
			b.WriteString("  " + l + "\n")
		}
	}
	return b.String()
}

// markdown renders the generated section of BENCHMARKS.md.
func (r *report) markdown() string {
	var b bytes.Buffer
	m := r.Machine
	fmt.Fprintf(&b, "Generated by `make bench` on %s.\n\n", m.Date)
	fmt.Fprintf(&b, "| machine | |\n|---|---|\n| CPU | %s |\n| cores | %s |\n| RAM | %s |\n| disk / fs | %s |\n| kernel | %s |\n| Go | %s |\n| load average (1, 5, 15 min) | %s at start, %s at end |\n\n",
		m.CPU, m.Cores, m.RAM, m.Disk, m.Kernel, m.Go, r.LoadStart, r.LoadEnd)
	c := r.Config
	fmt.Fprintf(&b, "Runs: %d. Per run: %d documents one at a time (latency), %d dropped at once (throughput) for docbridge and for the floor, %d MLLP connections × %d messages.\n\n",
		c.runs, c.nLow, c.nFull, c.conns, c.perConn)
	src := "counted with strace on a real daemon"
	if !r.Counts.Measured {
		src = "from reading the code (strace not available)"
	}
	fmt.Fprintf(&b, "Durable writes per dropped document, docbridge (%s, %d documents dropped at once, drop folder concurrency %d): %.2f SQLite commits (WAL fsyncs), %.2f content-file fsyncs, %.2f directory fsyncs, %.2f other fsyncs.\n\n",
		src, r.Counts.Docs, folderConcurrency, r.Counts.Commits, r.Counts.Files, r.Counts.Dirs, r.Counts.Other)
	if len(r.Floor) > 0 {
		var docs, commits, files, dirs int64
		for _, f := range r.Floor {
			docs, commits, files, dirs = docs+int64(f.Docs), commits+f.Commits, files+f.Files, dirs+f.Dirs
		}
		fmt.Fprintf(&b, "The floor (counted in-process, all its runs, %d workers, %d rows per document in group commits): %.2f commits, %.2f content-file fsyncs, %.2f directory fsyncs per document.\n\n",
			folderConcurrency, floorCommits, float64(commits)/float64(docs), float64(files)/float64(docs), float64(dirs)/float64(docs))
	}
	b.WriteString("| measure | median [range] | vs | ratio | target | |\n|---|---|---|---|---|---|\n")
	for _, x := range r.rows() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", x.measure, x.value, x.baseline, x.ratio, x.target, x.verdict)
	}
	b.WriteString("\nA ratio is the median of the per-run ratios (each run measures the floor and docbridge back to back, taking turns at going first).\n")
	b.WriteString("\nPer run (load average when the run started):\n\n| run | floor docs/s | docbridge docs/s | ratio | low p50 ms | low p99 ms | MLLP AA/s | load |\n|---|---|---|---|---|---|---|---|\n")
	for i := range r.Pipeline {
		f, p := r.Floor[i].docsPerSec(), r.Pipeline[i].docsPerSec()
		fmt.Fprintf(&b, "| %d | %.1f | %.1f | %.2f | %.1f | %.1f | %.0f | %s |\n", i+1, f, p, p/f,
			ms(percentile(r.Pipeline[i].Low, 50)), ms(percentile(r.Pipeline[i].Low, 99)), r.MLLP[i].perSec(), r.Floor[i].Load)
	}
	if r.HL7 != nil {
		b.WriteString("\nHL7 v2 parser against simple-hl7 (`bench/hl7/run.sh`, same run):\n\n```\n")
		if r.HL7.Err != nil {
			fmt.Fprintf(&b, "not run: %v\n", r.HL7.Err)
		}
		for _, l := range r.HL7.Table {
			b.WriteString(l + "\n")
		}
		b.WriteString("```\n")
	}
	return b.String()
}

const beginMark, endMark = "<!-- bench:begin -->", "<!-- bench:end -->"

// writeReport replaces the generated section of path (creating the file
// with only that section when it does not exist).
func writeReport(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	s := string(old)
	gen := beginMark + "\n" + section + endMark
	i, j := strings.Index(s, beginMark), strings.Index(s, endMark)
	switch {
	case i >= 0 && j > i:
		s = s[:i] + gen + s[j+len(endMark):]
	default:
		s = "# docbridge benchmarks\n\n" + gen + "\n" + s
	}
	return os.WriteFile(path, []byte(s), 0o644)
}
