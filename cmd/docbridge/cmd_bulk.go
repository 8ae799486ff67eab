package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docbridge/docbridge/convert"
	"github.com/docbridge/docbridge/internal/bulk"
)

// bulkFlags are the flags of `docbridge bulk`.
type bulkFlags struct {
	store       storeFlags
	dryRun      *bool
	report      *string
	reportDir   *string
	index       *string
	charset     *string
	profile     *string
	mes         *string
	environment *string
	rate        *float64
	burst       *int
	concurrency *int
	wait        *time.Duration
	every       *time.Duration
	verbose     *bool
}

const bulkSynopsis = `bulk DIR [--dry-run] [--report FILE | --report-dir DIR] [-c FILE | --data DIR [--mes URL] [--environment test]]
              [--index FILE [--index-charset utf-8|windows-1252]] [--profile FILE]
              [--rate N] [--concurrency N] [--wait D]

Backfills a whole archive: every file under DIR, recursively. A PDF takes its metadata from
its sidecar (X.json, X.yaml or X.yml beside X.pdf, else X.pdf.json, X.pdf.yaml or X.pdf.yml),
else from its row of the CSV index (DIR/index.csv by default: file, ins, birth_name,
first_names, birth_date, sex, birth_place, type_code, creation; optional ins_system,
type_system, title, author_id, author_name; French names accepted), else from its file name.
--profile FILE gives, in YAML, what the practice's files cannot say (facility_type,
practice_setting, custodian, author, confidentiality, language, document_type); it never
overrides what a file or its index row says. --dry-run says what would happen and sends
nothing; without it, each file goes through the durable pipeline and the command waits until
every document has settled, then reports. Running it again continues where it stopped,
converts again the files whose sidecar or index row changed, and sends nothing twice.

Reports (0600, they hold patient data): --report FILE writes FILE as .html, .json or .csv
and FILE-invitations.csv, .html and .pdf beside it; --report-dir DIR writes report.html,
report.json, report.csv, invitations.csv, invitations.html and invitations.pdf (one printable
letter per patient without a pairing, with the pairing link of pairing.public_url and its QR
code); by default they go to DATA/bulk-reports/MODE-TIME/.
Exit status: 0 when everything goes (or would go) through or waits for a pairing, 1 when
something is refused, unreadable, in review or still pending, 2 on a usage error.`

// runBulk is `docbridge bulk`.
func runBulk(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := newFlags("bulk", bulkSynopsis, stderr)
	f := bulkFlags{
		store:       addStoreFlags(fset),
		dryRun:      fset.Bool("dry-run", false, "say what would happen; write nothing to the store, send nothing"),
		report:      fset.String("report", "", "write the report to `FILE` (.html, .json or .csv) and FILE-invitations.csv"),
		reportDir:   fset.String("report-dir", "", "write report.html, report.json, report.csv and invitations.csv into `DIR`"),
		index:       fset.String("index", "", "the CSV index `FILE` (default DIR/index.csv when present; - for none)"),
		charset:     fset.String("index-charset", "", "the index's character set: utf-8 or windows-1252 (default: detect)"),
		profile:     fset.String("profile", "", "the practice profile `FILE` (YAML): physician and practice for every document of the run"),
		mes:         fset.String("mes", "", "the MES Documents API base `URL` (overrides the configuration's)"),
		environment: fset.String("environment", "", "production or test (with --data; default production)"),
		rate:        fset.Float64("rate", 5, "deliver at most `N` documents per second to MES (0: no limit)"),
		burst:       fset.Int("burst", 1, "let up to `N` deliveries through at once within --rate"),
		concurrency: fset.Int("concurrency", 0, "take `N` files at once (0: one per CPU)"),
		wait:        fset.Duration("wait", 0, "stop waiting for the documents to settle after `D` and report (0: wait until done or interrupted)"),
		every:       fset.Duration("progress-every", 10*time.Second, "when stderr is not a terminal, print a progress line every `D`"),
		verbose:     fset.Bool("v", false, "show the pipeline's log (document ids and reasons, never paths nor patient data)"),
	}
	dir, err := parseInterspersed(fset, args)
	if err != nil {
		return err
	}
	if dir == "" {
		fset.Usage()
		return usageErrorf("bulk: the archive directory DIR is required")
	}
	if *f.report != "" && *f.reportDir != "" {
		return usageErrorf("bulk: give --report or --report-dir, not both")
	}
	charset, err := bulk.ParseCharset(*f.charset)
	if err != nil {
		return usageErrorf("bulk: %v", err)
	}
	b, err := openBulk(ctx, f, stderr)
	if err != nil {
		return err
	}
	defer b.Close()
	if why := invitationLinkProblem(b.invitation().PairingURL); why != "" {
		fmt.Fprintf(stderr, "docbridge bulk: warning: %s\n", why)
	}
	o := bulk.Options{
		Root: dir, Index: *f.index, IndexCharset: charset, Profile: b.profile, ProfileFile: *f.profile,
		ScratchDir: filepath.Join(b.cfg.Data, "bulk-scratch"), Concurrency: *f.concurrency,
		Convert: convert.New(b.co), Profiles: b.profiles(), Check: b.check, Match: b.matcher,
		Progress: stderr, Terminal: writerIsTerminal(stderr), ProgressEvery: *f.every,
		Invitation: b.invitation(),
		CodeSystem: func(vs, code string) string { return memberSystem(b.co.Mappings, vs, code) },
	}
	var res *bulk.Result
	if *f.dryRun {
		res, err = bulk.DryRun(ctx, o)
	} else {
		res, err = b.run(ctx, o, *f.wait)
	}
	if errors.Is(err, context.Canceled) {
		if *f.dryRun {
			fmt.Fprintln(stderr, "docbridge bulk: dry run interrupted; nothing was written")
		} else {
			fmt.Fprintln(stderr, "docbridge bulk: interrupted; everything accepted so far is stored: run the same command again to continue")
		}
		return errProblems
	}
	var ie *bulk.IndexError
	if errors.As(err, &ie) {
		return usageErrorf("bulk %s: index: %s", dir, ie.Msg)
	}
	if err != nil {
		return fmt.Errorf("bulk %s: %w", dir, err)
	}
	defer res.Close()
	where, err := writeBulkReports(ctx, res, f, b.cfg.Data)
	if err != nil {
		return err
	}
	printBulkSummary(stdout, res.Summary, where)
	if bulkProblems(res.Summary) {
		return errProblems
	}
	return nil
}

// invitationLinkProblem says why the invitations' pairing link will not
// work for patients ("" when it may): none configured, or a loopback
// address only this machine reaches.
func invitationLinkProblem(link string) string {
	if link == "" {
		return "no pairing.public_url: the invitations carry no pairing link and ask patients to contact the practice"
	}
	u, err := url.Parse(link)
	if err != nil {
		return "pairing.public_url is not a URL: the invitations' link will not work"
	}
	h := u.Hostname()
	if ip := net.ParseIP(h); h == "localhost" || (ip != nil && ip.IsLoopback()) {
		return "pairing.public_url names this machine only (" + h + "): set it to the address patients' browsers use, or the invitations' link will not work"
	}
	return ""
}

// parseInterspersed parses flags before and after the one positional
// argument, which it returns ("" when there is none).
func parseInterspersed(fset *flag.FlagSet, args []string) (string, error) {
	var pos []string
	for {
		if err := parseFlags(fset, args); err != nil {
			return "", err
		}
		if fset.NArg() == 0 {
			break
		}
		pos = append(pos, fset.Arg(0))
		args = fset.Args()[1:]
	}
	if len(pos) > 1 {
		return "", usageErrorf("bulk: one archive directory, not %d", len(pos))
	}
	if len(pos) == 0 {
		return "", nil
	}
	return pos[0], nil
}

// writeBulkReports writes the reports where the flags say, and returns
// where.
func writeBulkReports(ctx context.Context, res *bulk.Result, f bulkFlags, data string) (string, error) {
	switch {
	case *f.report != "":
		return *f.report, res.WriteReport(ctx, *f.report)
	case *f.reportDir != "":
		return *f.reportDir, res.WriteReportDir(ctx, *f.reportDir)
	}
	dir := filepath.Join(data, "bulk-reports", res.Summary.Mode+"-"+time.Now().UTC().Format("20060102-150405"))
	return dir, res.WriteReportDir(ctx, dir)
}

// printBulkSummary prints the counts (no paths, no patient data).
func printBulkSummary(w io.Writer, s *bulk.Summary, where string) {
	verb := "ended"
	if s.Mode == "dry-run" {
		verb = "would end"
	}
	fmt.Fprintf(w, "docbridge bulk %s: %d files, %d items\n", s.Mode, s.Files, s.Items)
	for _, o := range []bulk.Outcome{bulk.Delivered, bulk.Held, bulk.Review, bulk.Failed, bulk.Unreadable, bulk.Duplicate, bulk.Superseded, bulk.Pending} {
		if n := s.Outcomes[o]; n > 0 {
			fmt.Fprintf(w, "  %-11s %7d  %s\n", o, n, verb)
		}
	}
	fmt.Fprintf(w, "patients: %d with a pairing, %d without (invitations)\n", s.Patients.Paired, s.Patients.Unpaired)
	if ix := s.Index; ix != nil {
		fmt.Fprintf(w, "index: %d rows, %d invalid, %d files without a row, %d rows without a file\n", ix.Rows, ix.Invalid, ix.FilesWithoutRow, ix.RowsWithoutFile)
	}
	if s.Disagreements > 0 {
		fmt.Fprintf(w, "%d items ended otherwise than the dry run said when the run took their file: the report says why for each\n", s.Disagreements)
	}
	if s.Mode == "run" && !s.Complete {
		fmt.Fprintln(w, "not every document had settled when the wait ended: run the same command again to continue")
	}
	fmt.Fprintf(w, "report: %s\n", where)
}

// bulkProblems reports whether anything was refused, unreadable, left for
// review or still pending.
func bulkProblems(s *bulk.Summary) bool {
	for o, n := range s.Outcomes {
		if n > 0 && o != bulk.Delivered && o != bulk.Held && o != bulk.Superseded && o != bulk.Deleted && o != bulk.Duplicate {
			return true
		}
	}
	return s.Mode == "run" && !s.Complete
}

// writerIsTerminal reports whether w is a terminal (a character device)
// that can redraw a progress bar.
func writerIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f) && !strings.EqualFold(os.Getenv("TERM"), "dumb")
}
