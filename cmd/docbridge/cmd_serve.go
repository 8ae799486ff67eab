package main

import (
	"context"
	"io"
	"strings"
)

// runServe is `docbridge serve -c FILE`: it refuses to start on any
// problem config check reports (startProblems), takes the store's writer
// lock on SQLite (storelock.go), then runs every intake and worker until
// ctx is done.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve -c FILE\n\nRuns the daemon. It first makes every check of config check (and refuses, exit 2, on any problem),\nthen takes the data directory's writer lock on SQLite: one serve per SQLite store.", stderr)
	cfgPath := fs.String("c", "docbridge.yaml", "configuration `file`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if probs := startProblems(cfg); len(probs) > 0 {
		return usageErrorf("config %s: %d problem(s), not starting (docbridge config check -c %s says the same):\n  %s",
			*cfgPath, len(probs), *cfgPath, strings.Join(probs, "\n  "))
	}
	log, err := newLogger(stderr, cfg.Log.Format, cfg.Log.Level)
	if err != nil {
		return usageErrorf("log: %v", err)
	}
	a, err := openApp(ctx, cfg, log, "serve")
	if err != nil {
		return err
	}
	defer a.Close()
	log.Info().Str("version", version()).Str("environment", cfg.Environment).Int("folders", len(cfg.Folders)).Msg("docbridge serving")
	err = a.Run(ctx)
	log.Info().Msg("docbridge stopped")
	return err
}
