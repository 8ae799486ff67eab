// Command bulk measures `docbridge bulk --dry-run` on generated archives:
// for each size it generates an archive (internal/bulk/bulkgen), imports
// its pairings into a fresh store, runs the dry run as a child process and
// prints the wall time and the child's peak resident set (getrusage
// ru_maxrss, the kernel's VmHWM), against the budgets of issue 8: under
// 60 s and 150 MB at 100,000 documents, flat in the archive's size.
//
//	go build -o /tmp/docbridge ./cmd/docbridge
//	go run ./bench/bulk -bin /tmp/docbridge -n 10000,50000,100000
//
// bench/bulk/run.sh does both. It exits 1 when a budget is exceeded.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/docbridge/docbridge/internal/bulk/bulkgen"
)

const (
	maxWall = 60 * time.Second
	maxRSS  = 150 << 20
)

func main() {
	bin := flag.String("bin", "", "the docbridge `binary` to measure")
	sizes := flag.String("n", "10000,50000,100000", "archive sizes, comma-separated")
	work := flag.String("dir", "", "work `directory` (default: a temporary one, removed)")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "bench/bulk: -bin is required")
		os.Exit(2)
	}
	dir := *work
	if dir == "" {
		tmp, err := os.MkdirTemp("", "bench-bulk-")
		check(err)
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	fmt.Printf("%-8s %10s %12s %s\n", "files", "wall", "peak RSS", "within budget")
	ok := true
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		check(err)
		wall, rss := measure(*bin, filepath.Join(dir, "n"+s), n)
		good := wall <= maxWall && rss <= maxRSS
		ok = ok && good
		fmt.Printf("%-8d %9.1fs %9.1f MB %t\n", n, wall.Seconds(), float64(rss)/(1<<20), good)
	}
	if !ok {
		os.Exit(1)
	}
}

// measure generates an archive of n files in dir and times its dry run.
func measure(bin, dir string, n int) (time.Duration, int64) {
	archive := filepath.Join(dir, "archive")
	check(os.RemoveAll(dir))
	m, err := bulkgen.Generate(bulkgen.Options{Dir: archive, Documents: n})
	check(err)
	b, err := json.Marshal(m.Pairings)
	check(err)
	check(os.WriteFile(filepath.Join(dir, "pairings.json"), b, 0o600))
	cfg := filepath.Join(dir, "docbridge.yaml")
	check(os.WriteFile(cfg, []byte("environment: test\ndata: data\nmes: {base_url: \"http://127.0.0.1:9\"}\n"), 0o600))
	if out, err := exec.Command(bin, "pair", "import", "-c", cfg, filepath.Join(dir, "pairings.json")).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "pair import: %v\n%s", err, out)
		os.Exit(1)
	}
	cmd := exec.Command(bin, "bulk", archive, "--dry-run", "-c", cfg, "--report-dir", filepath.Join(dir, "report"), "--progress-every", "1h")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() > 1 { // 1: the archive's defects were found
		fmt.Fprintf(os.Stderr, "bulk --dry-run: %v\n%s", err, out)
		os.Exit(1)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return wall, ru.Maxrss << 10 // ru_maxrss is in KiB on Linux
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/bulk:", err)
		os.Exit(1)
	}
}
