package main

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
)

// childEnv, when set, makes the test binary run docbridge itself with the
// arguments it holds (separated by newlines): end-to-end tests start the
// daemon as a real process they can kill.
const childEnv = "DOCBRIDGE_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(childEnv); args != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := run(ctx, strings.Split(args, "\n"), os.Stdout, os.Stderr)
		stop()
		if err != nil {
			os.Stderr.WriteString("docbridge: " + err.Error() + "\n")
		}
		os.Exit(exitCode(err))
	}
	os.Exit(m.Run())
}
