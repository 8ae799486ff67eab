package admin

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// StatsStore is the read-only aggregate part of the store that the
// dashboard, the metrics and /readyz use. *store.Store implements it.
type StatsStore interface {
	CountsByGroup(ctx context.Context) ([]store.Count, error)
	AgesOf(ctx context.Context, counts []store.Count) (store.Ages, error)
	LastIntake(ctx context.Context) (time.Time, bool, error)
	Ping(ctx context.Context) error
}

// Stall sets when the stall signals fire; a zero field turns its signal off.
type Stall struct {
	// NoIntake fires when no input arrived for this long (an input already
	// arrived once: a new installation is not stalled).
	NoIntake time.Duration
	// OldestPending fires when a document that should be moving (received,
	// converted, matched, or held for MES or an internal error) has been
	// so for longer than this. Documents waiting for the patient's pairing
	// and documents in review do not fire it: they have their own counts.
	OldestPending time.Duration
}

// queued states are the states of documents waiting for a stage.
var queued = []docbridge.State{docbridge.Received, docbridge.Converted, docbridge.Matched, docbridge.Held}

// summary is the state of the queue at one time.
type summary struct {
	Counts        []store.Count
	ByState       map[docbridge.State]int
	Queue         int           // documents waiting for a stage (queued states)
	Review        int           // documents waiting for a person
	Waiting       int           // documents held for the patient's pairing
	OldestPending time.Duration // 0 when nothing should be moving
	OldestWaiting time.Duration // 0 when nothing waits for a pairing
	SinceIntake   time.Duration // time since the last input; 0 when none ever came
	AnyIntake     bool
	NoIntake      bool // stall signal: no intake for Stall.NoIntake
	Stuck         bool // stall signal: oldest pending over Stall.OldestPending
}

// summarize reads the counts (once: store.CountsByGroup), the ages of the
// oldest waiting documents and the last intake, and evaluates the stall
// signals. None of it scans the documents.
func summarize(ctx context.Context, st StatsStore, stall Stall, now time.Time) (summary, error) {
	var s summary
	var err error
	if s.Counts, err = st.CountsByGroup(ctx); err != nil {
		return s, fmt.Errorf("read document counts: %w", err)
	}
	s.ByState = map[docbridge.State]int{}
	for _, c := range s.Counts {
		s.ByState[c.State] += c.N
		if c.State == docbridge.Held && c.Reason.WaitsForPairing() {
			s.Waiting += c.N
		}
	}
	for _, q := range queued {
		s.Queue += s.ByState[q]
	}
	s.Review = s.ByState[docbridge.Review]
	ages, err := st.AgesOf(ctx, s.Counts)
	if err != nil {
		return s, fmt.Errorf("read the oldest waiting documents: %w", err)
	}
	if !ages.OldestPending.IsZero() {
		s.OldestPending = max(now.Sub(ages.OldestPending), time.Nanosecond)
	}
	if !ages.OldestWaiting.IsZero() {
		s.OldestWaiting = max(now.Sub(ages.OldestWaiting), time.Nanosecond)
	}
	last, ok, err := st.LastIntake(ctx)
	if err != nil {
		return s, fmt.Errorf("read last intake: %w", err)
	}
	if ok {
		s.AnyIntake, s.SinceIntake = true, max(now.Sub(last), 0)
	}
	s.NoIntake = stall.NoIntake > 0 && s.AnyIntake && s.SinceIntake > stall.NoIntake
	s.Stuck = stall.OldestPending > 0 && s.OldestPending > stall.OldestPending
	return s, nil
}

// stateRow is one state's line on the dashboard: its total and its count
// per intake.
type stateRow struct {
	State    docbridge.State
	Total    int
	ByIntake []int
}

// byStateAndIntake arranges counts as a table: one row per state in the
// life-cycle order, one column per intake.
func byStateAndIntake(counts []store.Count) (intakes []string, rows []stateRow) {
	seen := map[string]bool{}
	for _, c := range counts {
		if !seen[c.Intake] {
			seen[c.Intake] = true
			intakes = append(intakes, c.Intake)
		}
	}
	sort.Strings(intakes)
	col := map[string]int{}
	for i, in := range intakes {
		col[in] = i
	}
	for _, st := range allStates {
		row := stateRow{State: st, ByIntake: make([]int, len(intakes))}
		for _, c := range counts {
			if c.State == st {
				row.Total += c.N
				row.ByIntake[col[c.Intake]] += c.N
			}
		}
		rows = append(rows, row)
	}
	return intakes, rows
}

// kindTotal is the number of documents of one kind.
type kindTotal struct {
	Kind docbridge.Kind
	N    int
}

// byKind totals counts per kind, in the order of docbridge's kinds (the
// zero Kind, documents, first), then any other kind by name. It returns
// nil when every document is of the zero Kind: the dashboard then says
// nothing of kinds.
func byKind(counts []store.Count) []kindTotal {
	n := map[docbridge.Kind]int{}
	for _, c := range counts {
		n[c.Kind] += c.N
	}
	if len(n) == 0 || (len(n) == 1 && n[docbridge.KindDocument] > 0) {
		return nil
	}
	var out []kindTotal
	for _, k := range []docbridge.Kind{docbridge.KindDocument, docbridge.KindMeasurement, docbridge.KindAppointment} {
		out = append(out, kindTotal{k, n[k]})
		delete(n, k)
	}
	var rest []docbridge.Kind
	for k := range n {
		rest = append(rest, k)
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i] < rest[j] })
	for _, k := range rest {
		out = append(out, kindTotal{k, n[k]})
	}
	return out
}

// allStates in life-cycle order.
var allStates = []docbridge.State{
	docbridge.Received, docbridge.Converted, docbridge.Matched, docbridge.Delivered,
	docbridge.Held, docbridge.Review, docbridge.Failed, docbridge.Superseded, docbridge.Deleted,
}
