package bulk

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress shows how far a phase is: a bar with a rate and an ETA redrawn
// in place on a terminal, or a line every `every` otherwise. It shows
// counts only.
type progress struct {
	w        io.Writer
	terminal bool
	every    time.Duration

	total, done atomic.Int64
	label       atomic.Value // string
	began       time.Time
	cancel      context.CancelFunc
	wg          sync.WaitGroup
}

func newProgress(w io.Writer, terminal bool, every time.Duration) *progress {
	if every <= 0 {
		every = 10 * time.Second
	}
	if terminal {
		every = 200 * time.Millisecond
	}
	return &progress{w: w, terminal: terminal, every: every}
}

// start begins a phase of total steps; stop ends it with a last line.
func (p *progress) start(ctx context.Context, label string, total int64) {
	p.label.Store(label)
	p.total.Store(total)
	p.done.Store(0)
	p.began = time.Now()
	if p.w == nil {
		return
	}
	ctx, p.cancel = context.WithCancel(ctx)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				p.print(false)
			}
		}
	}()
}

func (p *progress) stop() {
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.wg.Wait()
	p.cancel = nil
	p.print(true)
}

func (p *progress) add(n int64)           { p.done.Add(n) }
func (p *progress) set(done, total int64) { p.done.Store(done); p.total.Store(total) }

func (p *progress) print(last bool) {
	done, total := p.done.Load(), p.total.Load()
	label, _ := p.label.Load().(string)
	line := progressLine(label, done, total, time.Since(p.began))
	switch {
	case p.terminal && last:
		fmt.Fprintf(p.w, "\r%s\n", line)
	case p.terminal:
		fmt.Fprintf(p.w, "\r%s", line)
	default:
		fmt.Fprintf(p.w, "docbridge bulk: %s\n", line)
	}
}

// progressLine renders "[#####.....]  50%  500/1000 files  120/s  ETA 4s".
func progressLine(label string, done, total int64, elapsed time.Duration) string {
	const width = 30
	frac := 0.0
	if total > 0 {
		frac = min(1, float64(done)/float64(total))
	}
	bar := strings.Repeat("#", int(frac*width)) + strings.Repeat(".", width-int(frac*width))
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(done) / s
	}
	eta := "ETA -"
	if rate > 0 && total >= done {
		eta = "ETA " + time.Duration(float64(total-done)/rate*float64(time.Second)).Round(time.Second).String()
	}
	return fmt.Sprintf("[%s] %3.0f%%  %d/%d %s  %.0f/s  %s", bar, frac*100, done, total, label, rate, eta)
}
