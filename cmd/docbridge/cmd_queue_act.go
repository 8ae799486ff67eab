package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/operate"
	"github.com/docbridge/docbridge/internal/store"
)

// idList is a repeatable --id flag.
type idList []int64

func (l *idList) String() string { return fmt.Sprint(*l) }
func (l *idList) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a document id", s)
	}
	*l = append(*l, n)
	return nil
}

// selector picks documents by id, reason, intake and time range.
type selector struct {
	ids          idList
	reason       *string
	intake       *string
	since, until *string
}

func addSelector(fs *flag.FlagSet) *selector {
	s := &selector{
		reason: fs.String("reason", "", "only documents with this `reason`"),
		intake: fs.String("intake", "", "only documents that came through this `intake`"),
		since:  fs.String("since", "", "only documents created since `T` (RFC 3339, or a duration such as 24h meaning that long ago)"),
		until:  fs.String("until", "", "only documents created before `T` (RFC 3339 or a duration)"),
	}
	fs.Var(&s.ids, "id", "only this document `id` (repeatable)")
	return s
}

func parseWhen(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	return time.Parse(time.RFC3339, s)
}

// check validates the selector before anything is opened: at least one
// criterion, and times that parse. It returns the time range (zero ends
// are open).
func (sel *selector) check(now time.Time) (since, until time.Time, err error) {
	if *sel.since != "" {
		if since, err = parseWhen(*sel.since, now); err != nil {
			return since, until, usageErrorf("--since: %v", err)
		}
	}
	if *sel.until != "" {
		if until, err = parseWhen(*sel.until, now); err != nil {
			return since, until, usageErrorf("--until: %v", err)
		}
	}
	if len(sel.ids) == 0 && *sel.reason == "" && *sel.intake == "" && *sel.since == "" && *sel.until == "" {
		return since, until, usageErrorf("say which documents: --id, --reason, --intake, --since or --until")
	}
	return since, until, nil
}

// filter is the store selection of the selector (the time range checked).
func (sel *selector) filter(now time.Time) (store.Filter, error) {
	since, until, err := sel.check(now)
	if err != nil {
		return store.Filter{}, err
	}
	return store.Filter{IDs: sel.ids, Reason: docbridge.Reason(*sel.reason), Intake: *sel.intake, Since: since, Until: until}, nil
}

// match lists the documents the selector picks to which action a applies
// (operate.Select).
func (sel *selector) match(ctx context.Context, st *store.Store, a operate.Action) ([]store.DocRow, error) {
	f, err := sel.filter(time.Now())
	if err != nil {
		return nil, err
	}
	return operate.Select(ctx, st, a, f)
}

// runQueueAction applies act to the selected documents with operate.Do —
// the console's rule and records: back to converted, so that they are
// matched and delivered again — after showing how many there are and
// asking for confirmation above --max.
func runQueueAction(ctx context.Context, act operate.Action, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	name := string(act)
	fs := newFlags("queue "+name, "queue "+name+" [--id N]... [--reason R] [--intake I] [--since T] [--until T] [--note TEXT] [--max N] [--yes] [--dry-run] (-c FILE | --data DIR)", stderr)
	sf := addStoreFlags(fs)
	sel := addSelector(fs)
	maxN := fs.Int("max", 100, "ask for confirmation above this many documents")
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	dry := fs.Bool("dry-run", false, "show what would move, move nothing")
	note := fs.String("note", "", "why: recorded with each document's transition")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if _, _, err := sel.check(time.Now()); err != nil { // before the store, whose errors would hide it
		return err
	}
	st, _, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := sel.match(ctx, st, act)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d document(s) to %s%s\n", len(rows), name, summary(rows))
	if len(rows) == 0 || *dry {
		return nil
	}
	if len(rows) > *maxN && !*yes {
		if !confirm(stdin, stdout, fmt.Sprintf("%s %d documents? [y/N] ", name, len(rows))) {
			return usageErrorf("not confirmed: %d documents is above --max %d (add --yes to proceed)", len(rows), *maxN)
		}
	}
	req := operate.Request{Action: act, Actor: "user:" + currentUser(), Note: *note}
	moved := 0
	for _, r := range rows {
		_, err := operate.Do(ctx, st, r, req)
		switch {
		case errors.Is(err, store.ErrConflict):
			fmt.Fprintf(stderr, "document %d changed meanwhile; left as it is\n", r.ID)
		case err != nil:
			return err
		default:
			moved++
		}
	}
	fmt.Fprintf(stdout, "%d document(s) moved to converted; the daemon matches and delivers them again\n", moved)
	return nil
}

// summary counts rows by state and reason: ": 3 failed/mes-rejected, 1 held/mes-unavailable".
func summary(rows []store.DocRow) string {
	counts := map[string]int{}
	for _, r := range rows {
		counts[string(r.State)+"/"+string(r.Reason)]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", counts[k], strings.TrimSuffix(k, "/"))
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ", ")
}

// confirm asks a question on a terminal; anything but y or yes, or no
// terminal at all, is a no.
func confirm(stdin io.Reader, stdout io.Writer, q string) bool {
	if f, ok := stdin.(*os.File); !ok || !isTerminal(f) {
		return false
	}
	fmt.Fprint(stdout, q)
	line, _ := bufio.NewReader(stdin).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes"
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}
