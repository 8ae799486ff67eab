package main

import (
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"
)

// newLogger returns a JSON logger (for serve) or a human console one (for
// interactive commands). Logs never carry patient data: components log
// document and input ids only.
func newLogger(w io.Writer, format, level string) (zerolog.Logger, error) {
	lvl, err := parseLevel(level)
	if err != nil {
		return zerolog.Logger{}, err
	}
	// Components log from several goroutines; w may be any writer (a
	// buffer in tests), so writes are serialised.
	w = zerolog.SyncWriter(w)
	if format == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

func parseLevel(s string) (zerolog.Level, error) {
	switch s {
	case "debug":
		return zerolog.DebugLevel, nil
	case "", "info":
		return zerolog.InfoLevel, nil
	case "warn":
		return zerolog.WarnLevel, nil
	case "error":
		return zerolog.ErrorLevel, nil
	}
	return 0, fmt.Errorf("%q is not debug, info, warn or error", s)
}
