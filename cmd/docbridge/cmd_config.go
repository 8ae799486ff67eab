package main

import (
	"context"
	"fmt"
	"io"
)

// runConfig is `docbridge config check -c FILE`: it loads and validates the
// configuration, then makes every check serve makes before it starts
// (startProblems: the same function, so the two cannot drift). It prints
// OK, or every problem with its field, and exits 0 or 2.
func runConfig(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(stderr, "Usage: docbridge config check -c FILE")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return usageErrorf("config needs a subcommand: check")
	}
	fs := newFlags("config check", "config check -c FILE\n\nMakes every check serve makes before it starts; prints OK or each problem with its field.", stderr)
	path := fs.String("c", "docbridge.yaml", "configuration `file`")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		fmt.Fprintln(stdout, err)
		return &usageError{fmt.Sprintf("config %s has problems", *path)}
	}
	problems := startProblems(cfg)
	if len(problems) == 0 {
		fmt.Fprintf(stdout, "OK %s\n", *path)
		return nil
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	return &usageError{fmt.Sprintf("config %s: %d problem(s)", *path, len(problems))}
}
