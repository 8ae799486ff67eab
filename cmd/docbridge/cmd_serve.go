package main

import (
	"context"
	"io"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve -c FILE", stderr)
	cfgPath := fs.String("c", "docbridge.yaml", "configuration `file`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, cfg.Log.Format, cfg.Log.Level)
	if err != nil {
		return usageErrorf("log: %v", err)
	}
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	log.Info().Str("version", version()).Str("environment", cfg.Environment).Int("folders", len(cfg.Folders)).Msg("docbridge serving")
	err = a.Run(ctx)
	log.Info().Msg("docbridge stopped")
	return err
}
