package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docbridge/docbridge/internal/audit"
	"github.com/docbridge/docbridge/internal/store"
)

const auditUsage = "Usage: docbridge audit verify|show|export|archive [flags]"

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, auditUsage)
		return usageErrorf("audit needs a subcommand: verify, show, export or archive")
	}
	switch args[0] {
	case "verify":
		return runAuditVerify(ctx, args[1:], stdout, stderr)
	case "show":
		return runAuditShow(ctx, args[1:], stdout, stderr)
	case "export":
		return runAuditExport(ctx, args[1:], stdout, stderr)
	case "archive":
		return runAuditArchive(ctx, args[1:], stdout, stderr)
	case "-h", "--help":
		fmt.Fprintln(stderr, auditUsage)
		return nil
	}
	return usageErrorf("unknown audit subcommand %q (verify, show, export, archive)", args[0])
}

// filesFlag collects a repeated flag.
type filesFlag []string

func (f *filesFlag) String() string     { return strings.Join(*f, ",") }
func (f *filesFlag) Set(v string) error { *f = append(*f, v); return nil }

// runAuditVerify verifies archives (in the order given) and then the
// store's table, each continuing the one before. A broken chain is exit 1
// with a sentence naming the first broken record.
func runAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit verify", "audit verify [--archive FILE]... [-c FILE | --data DIR]", stderr)
	sf := addStoreFlags(fs)
	var archives filesFlag
	fs.Var(&archives, "archive", "an archive `file` to verify first (repeat, oldest first)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	withStore := *sf.cfg != "" || *sf.data != ""
	if !withStore && len(archives) == 0 {
		return usageErrorf("give -c FILE or --data DIR, and/or --archive FILE")
	}
	broken := func(where string, err error) error {
		var b *audit.Break
		if errors.As(err, &b) {
			fmt.Fprintf(stdout, "%s: the audit chain is broken at record %d (%s): %s\n", where, b.Seq, b.Problem, b.Msg)
			return errProblems
		}
		return fmt.Errorf("%s: %w", where, err)
	}
	var total int64
	var from *audit.Anchor
	for _, name := range archives {
		f, err := os.Open(name)
		if err != nil {
			return usageErrorf("open archive: %v", err)
		}
		h, res, err := audit.VerifyArchive(f)
		f.Close()
		if err == nil && from != nil && res.From != *from {
			err = &audit.Break{Seq: h.First, Problem: audit.Deleted,
				Msg: fmt.Sprintf("the archive starts after record %d, the one before ends at record %d", res.From.Seq, from.Seq)}
		}
		if err != nil {
			return broken(name, err)
		}
		total += res.Records
		from = &res.Last
		fmt.Fprintf(stdout, "%s: records %d to %d, chain intact\n", name, h.First, h.Last)
	}
	last := from
	if withStore {
		st, _, err := sf.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		res, err := st.VerifyAudit(ctx, from)
		if err != nil {
			return broken("store", err)
		}
		total += res.Records
		last = &res.Last
	}
	fmt.Fprintf(stdout, "%d records, chain intact", total)
	if last != nil && last.Seq > 0 {
		fmt.Fprintf(stdout, " (last record %d, hash %s)", last.Seq, last.Hash)
	}
	fmt.Fprintln(stdout)
	return nil
}

// runAuditShow prints a document's whole timeline.
func runAuditShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit show", "audit show --doc ID [--json] (-c FILE | --data DIR)", stderr)
	sf := addStoreFlags(fs)
	doc := fs.Int64("doc", 0, "the document `id` (as queue list shows it)")
	asJSON := fs.Bool("json", false, "print one JSON record per line")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *doc <= 0 {
		return usageErrorf("audit show needs --doc ID")
	}
	st, _, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rs, err := st.AuditTimeline(ctx, *doc)
	if errors.Is(err, store.ErrNotFound) {
		return usageErrorf("no document %d", *doc)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return audit.WriteJSONL(stdout, slice(rs))
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tKIND\tACTOR\tSTATE\tREASON\tDETAIL")
	for _, r := range rs {
		state := string(r.To)
		if r.From != "" {
			state = string(r.From) + " → " + string(r.To)
		}
		detail := r.Message
		if x := r.Exchange; x != nil {
			detail = strings.TrimSpace(fmt.Sprintf("HTTP %s, request %s, MES id %s. %s", orDash(statusText(x.Status)), orDash(x.RequestID), orDash(x.MESID), r.Message))
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Seq, r.At.Format(time.RFC3339Nano), r.Kind, r.Actor,
			orDash(state), orDash(string(r.Reason)), detail)
	}
	if len(rs) == 0 {
		fmt.Fprintf(stderr, "document %d has no audit record in the table (archived, or older than the audit trail)\n", *doc)
	}
	return tw.Flush()
}

func statusText(s int) string {
	if s == 0 {
		return ""
	}
	return strconv.Itoa(s)
}

// runAuditExport writes the whole table as JSON lines or FHIR AuditEvents.
func runAuditExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit export", "audit export --format fhir|jsonl [--out FILE] [--instance NAME] (-c FILE | --data DIR)", stderr)
	sf := addStoreFlags(fs)
	format := fs.String("format", "jsonl", "`fhir` (one R4 AuditEvent per line, NDJSON) or jsonl (one record per line)")
	out := fs.String("out", "", "write to this `file` instead of standard output")
	instance := fs.String("instance", "", "name of this docbridge in AuditEvent.source (default: audit.instance, else the host name)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "fhir" && *format != "jsonl" {
		return usageErrorf("--format %q: want fhir or jsonl", *format)
	}
	st, cfg, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if *instance != "" {
		cfg.Audit.Instance = *instance
	}
	w := stdout
	var f *os.File
	if *out != "" {
		if f, err = os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return usageErrorf("export: %v", err)
		}
		defer f.Close()
		w = f
	}
	if *format == "fhir" {
		err = audit.WriteFHIR(w, st.AuditRecords(ctx), audit.FHIROptions{Instance: cfg.Audit.instance()})
	} else {
		err = audit.WriteJSONL(w, st.AuditRecords(ctx))
	}
	if err != nil {
		return fmt.Errorf("export the audit trail: %w", err)
	}
	if f != nil {
		return f.Sync()
	}
	return nil
}

// runAuditArchive moves the records before a time to a new archive file.
func runAuditArchive(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit archive", "audit archive --before TIME --out FILE (-c FILE | --data DIR)", stderr)
	sf := addStoreFlags(fs)
	before := fs.String("before", "", "archive the records recorded before this `time` (RFC 3339, or YYYY-MM-DD in UTC)")
	out := fs.String("out", "", "the archive `file` to create (it must not exist)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cut, err := parseCut(*before)
	if err != nil {
		return err
	}
	if *out == "" {
		return usageErrorf("audit archive needs --out FILE")
	}
	if _, err := os.Lstat(*out); err == nil {
		return usageErrorf("%s exists: archives are never overwritten", *out)
	}
	st, _, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx = audit.WithActor(ctx, "user:"+currentUser())
	h, err := st.ArchiveAudit(ctx, cut, func(h audit.ArchiveHeader, records iter.Seq2[audit.Record, error]) error {
		return audit.CreateArchive(*out, h, records)
	})
	var b *audit.Break
	if errors.As(err, &b) {
		fmt.Fprintf(stdout, "nothing archived: the audit chain is broken at record %d (%s): %s\n", b.Seq, b.Problem, b.Msg)
		return errProblems
	}
	if err != nil {
		return err
	}
	if h.Count == 0 {
		fmt.Fprintf(stdout, "nothing to archive before %s\n", cut.Format(time.RFC3339))
		return nil
	}
	fmt.Fprintf(stdout, "archived records %d to %d (%d) to %s; last hash %s\n", h.First, h.Last, h.Count, *out, h.LastHash)
	return nil
}

// parseCut reads --before.
func parseCut(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, usageErrorf("audit archive needs --before TIME")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, usageErrorf("--before %q: want RFC 3339 (2026-01-31T00:00:00+01:00) or YYYY-MM-DD", s)
}

// slice iterates over records.
func slice(rs []audit.Record) iter.Seq2[audit.Record, error] {
	return func(yield func(audit.Record, error) bool) {
		for _, r := range rs {
			if !yield(r, nil) {
				return
			}
		}
	}
}
