package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/docbridge/docbridge/internal/admin"
	"github.com/docbridge/docbridge/mappings"
)

// runConfig is `docbridge config check -c FILE`: it loads and validates the
// configuration, then what it names: the mappings override directory, the
// console's users file and TLS files (readable), and the data directory
// (writable). It prints OK, or every problem with its field, and exits 0
// or 2.
func runConfig(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(stderr, "Usage: docbridge config check -c FILE")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return usageErrorf("config needs a subcommand: check")
	}
	fs := newFlags("config check", "config check -c FILE", stderr)
	path := fs.String("c", "docbridge.yaml", "configuration `file`")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		fmt.Fprintln(stdout, err)
		return &usageError{fmt.Sprintf("config %s has problems", *path)}
	}
	problems := environmentProblems(cfg)
	if len(problems) == 0 {
		fmt.Fprintf(stdout, "OK %s\n", *path)
		return nil
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	return &usageError{fmt.Sprintf("config %s: %d problem(s)", *path, len(problems))}
}

// environmentProblems checks what a valid configuration names on this
// machine, each problem starting with its field.
func environmentProblems(cfg *Config) []string {
	var out []string
	if maps, err := mappings.Load(cfg.Mappings.OverrideDir); err != nil {
		out = append(out, fmt.Sprintf("mappings.override_dir: %v", err))
	} else if err := cfg.checkProfileCodes(maps); err != nil {
		out = append(out, strings.Split(err.Error(), "\n")...)
	}
	if err := writableDir(cfg.Data); err != nil {
		out = append(out, fmt.Sprintf("data: %v", err))
	}
	if _, err := tokenKeyFor(cfg, io.Discard); err != nil {
		out = append(out, err.Error())
	}
	for field, p := range map[string]string{"admin.tls.cert": cfg.Admin.TLS.Cert, "admin.tls.key": cfg.Admin.TLS.Key} {
		if p == "" {
			continue
		}
		if f, err := os.Open(p); err != nil {
			out = append(out, fmt.Sprintf("%s: %v", field, err))
		} else {
			f.Close()
		}
	}
	users, err := cfg.Admin.users()
	if err != nil {
		out = append(out, err.Error())
	}
	for _, u := range users {
		for _, p := range admin.CheckUser(u) {
			out = append(out, fmt.Sprintf("admin user %q: %s", u.Name, p))
		}
	}
	if cfg.Admin.Addr != "" && len(users) == 0 {
		out = append(out, "admin.users: the console is on (admin.addr) but nobody can sign in")
	}
	for i, f := range cfg.Folders {
		if f.Path != "" {
			if err := writableDir(f.Path); err != nil {
				out = append(out, fmt.Sprintf("folders[%d].path: %v", i, err))
			}
		}
	}
	slices.Sort(out)
	return out
}

// writableDir reports whether dir (or, when it does not exist yet, its
// nearest existing parent, where it would be created) accepts a new file.
func writableDir(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if errors.Is(err, os.ErrNotExist) && filepath.Dir(d) != d {
			continue
		}
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", d)
		}
		f, err := os.CreateTemp(d, ".docbridge-check-*")
		if err != nil {
			return fmt.Errorf("not writable: %w", err)
		}
		name := f.Name()
		f.Close()
		return os.Remove(name)
	}
}
