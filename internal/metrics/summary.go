package metrics

import (
	"context"
	"fmt"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// Store is the read-only aggregate part of the store that the summary,
// the metrics, the console's dashboard and /readyz use. *store.Store
// implements it.
type Store interface {
	CountsByGroup(ctx context.Context) ([]store.Count, error)
	AgesOf(ctx context.Context, counts []store.Count) (store.Ages, error)
	LastIntake(ctx context.Context) (time.Time, bool, error)
	JournalBacklog(ctx context.Context) (int, error)
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

// Summary is the state of the queue at one time, as the dashboard and
// the metrics show it.
type Summary struct {
	Counts        []store.Count
	ByState       map[docbridge.State]int
	Queue         int           // documents waiting for a stage (queued states)
	Review        int           // documents waiting for a person
	Waiting       int           // documents held for the patient's pairing
	Journal       int           // MLLP messages acknowledged and not yet recorded (the intake journal)
	OldestPending time.Duration // 0 when nothing should be moving
	OldestWaiting time.Duration // 0 when nothing waits for a pairing
	SinceIntake   time.Duration // time since the last input; 0 when none ever came
	AnyIntake     bool
	NoIntake      bool // stall signal: no intake for Stall.NoIntake
	Stuck         bool // stall signal: oldest pending over Stall.OldestPending
}

// Summarize reads the counts (once: store.CountsByGroup), the ages of the
// oldest waiting documents and the last intake, and evaluates the stall
// signals. None of it scans the documents.
func Summarize(ctx context.Context, st Store, stall Stall, now time.Time) (Summary, error) {
	var s Summary
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
	if s.Journal, err = st.JournalBacklog(ctx); err != nil {
		return s, err
	}
	s.NoIntake = stall.NoIntake > 0 && s.AnyIntake && s.SinceIntake > stall.NoIntake
	s.Stuck = stall.OldestPending > 0 && s.OldestPending > stall.OldestPending
	return s, nil
}
