// Command docbridge carries clinical documents from French labs, practices
// and clinics into Mon espace santé. It is the only wiring point of the
// project: it parses flags and the configuration, builds the concrete types
// and hands them to constructors.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	tuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errProblems) {
			fmt.Fprintf(os.Stderr, "docbridge: %v\n", err)
		}
		os.Exit(exitCode(err))
	}
}

// command is one subcommand.
type command struct {
	name  string
	short string
	run   func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"demo", "run the whole chain on this machine: simulator, samples, store", runDemo},
		{"serve", "run the daemon: intakes and workers (-c FILE)", runServe},
		{"inspect", "parse and normalise files, no side effects", runInspect},
		{"bulk", "backfill a whole archive: dry run, report, resumable run", runBulk},
		{"mes-sim", "run the MES simulator as a server", runMESSim},
		{"mes", "a paired patient's documents at MES: search, get", runMES},
		{"pair", "manage pairings: list, import, revoke", runPair},
		{"queue", "documents in the store: list, retry, release, review", runQueue},
		{"admin", "console administration: hash-password", runAdmin},
		{"config", "check a configuration file: config check -c FILE", runConfig},
		{"audit", "the audit trail: verify, show, export, archive", runAudit},
		{"conformance", "the référencement test book: run the MES cases, write the report", runConformance},
		{"version", "print the version", runVersion},
	}
}

// run runs the subcommand named by args[0].
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return usageErrorf("a command is required")
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], stdout, stderr)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
	}
	usage(stderr)
	return usageErrorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "docbridge carries clinical documents into Mon espace santé.\n\nUsage: docbridge COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.short)
	}
	fmt.Fprintln(w, "\nRun 'docbridge COMMAND --help' for a command's flags.")
}

// errProblems means the command did its work and found problems (exit 1); it
// has already said which.
var errProblems = errors.New("problems found")

// usageError is a usage or configuration error (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

func exitCode(err error) int {
	var u *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &u):
		return 2
	default:
		return 1
	}
}

// newFlags returns a FlagSet whose errors are usage errors and whose --help
// prints the command's synopsis and flags.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: docbridge %s\n\nFlags:\n", synopsis)
		shown := flag.NewFlagSet(name, flag.ContinueOnError)
		shown.SetOutput(stderr)
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.HasPrefix(f.Usage, hiddenAlias) {
				shown.Var(f.Value, f.Name, f.Usage)
				shown.Lookup(f.Name).DefValue = f.DefValue
			}
		})
		shown.PrintDefaults()
	}
	return fs
}

// hiddenAlias starts the usage of a flag that --help does not list.
const hiddenAlias = "hidden alias of -"

// aliasFlag makes old an alias of the flag name, which must be defined:
// both set the same value, and --help lists only name. It keeps an old
// spelling working after one name was chosen for a setting everywhere.
func aliasFlag(fs *flag.FlagSet, old, name string) {
	fs.Var(fs.Lookup(name).Value, old, hiddenAlias+name)
}

// parseFlags parses args, turning flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err.Error()}
	}
	return nil
}
