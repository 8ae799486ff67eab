package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// hl7Result is the output of bench/hl7/run.sh: the comparison of
// docbridge's HL7 v2 parser with simple-hl7 (spec §5).
type hl7Result struct {
	Table []string // the rows of its final table, header included
	Err   error
}

// runHL7 runs bench/hl7/run.sh (needs node and npm) from the repository
// root.
func runHL7(ctx context.Context, root string) hl7Result {
	cmd := exec.CommandContext(ctx, "bench/hl7/run.sh")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return hl7Result{Err: fmt.Errorf("bench/hl7/run.sh: %w: %s", err, lastLines(string(out), 5))}
	}
	var res hl7Result
	in := false
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "measure") {
			in = true
		}
		if in && strings.TrimSpace(l) != "" {
			res.Table = append(res.Table, l)
		}
		if strings.HasPrefix(l, "node ") && strings.Contains(l, "simple-hl7") {
			res.Table = append([]string{"# " + l}, res.Table...)
		}
	}
	return res
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
