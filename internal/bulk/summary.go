package bulk

import (
	"sort"
	"sync"
	"time"

	"github.com/docbridge/docbridge"
)

// maxKeys bounds each breakdown map: past it, new keys count under "(other)".
// Type codes and years are few; the bound only keeps a hostile archive from
// growing memory.
const maxKeys = 256

// Summary is the aggregate part of a report: counters only, whatever the
// archive's size. Per-item detail (refusals, invitations) is streamed from
// the scratch database when a report is written.
type Summary struct {
	Mode     string    `json:"mode"` // "dry-run" or "run"
	Archive  string    `json:"archive"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Complete is false when a run stopped waiting (--wait) before every
	// document settled: the pending ones are counted as pending.
	Complete bool `json:"complete"`
	// Disagreements counts the items of a run that ended otherwise than
	// the dry run's rules said when the run took their file; each one's
	// message says why.
	Disagreements int `json:"disagreements"`

	Files    int `json:"files"`    // files walked (the index and sidecars aside)
	Sidecars int `json:"sidecars"` // PDF sidecars joined to their PDF
	Items    int `json:"items"`    // documents, plus files refused as a whole

	Outcomes map[Outcome]int          `json:"outcomes"`
	Reasons  map[docbridge.Reason]int `json:"reasons"` // of items not delivered
	ByReason []OutcomeReason          `json:"byOutcomeAndReason"`
	Types    map[string]int           `json:"types"`   // "code display" of documents
	Years    map[string]int           `json:"years"`   // of the documents' creation
	Formats  map[docbridge.Format]int `json:"formats"` // "" for files no detector recognised
	Patients PatientCounts            `json:"patients"`
	Index    *IndexSummary            `json:"index,omitempty"`

	byReason map[OutcomeReason]int
	mu       *sync.Mutex
}

// OutcomeReason counts the items of one outcome and reason.
type OutcomeReason struct {
	Outcome Outcome          `json:"outcome"`
	Reason  docbridge.Reason `json:"reason"`
	N       int              `json:"n"`
}

// PatientCounts are the distinct patients (by INS) of the documents that
// reached matching.
type PatientCounts struct {
	Total    int `json:"total"`
	Paired   int `json:"paired"`
	Unpaired int `json:"unpaired"` // listed in invitations.csv
}

// IndexSummary says how the CSV index relates to the archive.
type IndexSummary struct {
	File            string `json:"file"`
	Rows            int    `json:"rows"`
	Invalid         int    `json:"invalid"`         // rows with problems (listed)
	Joined          int    `json:"joined"`          // files with a row
	FilesWithoutRow int    `json:"filesWithoutRow"` // counted, not listed
	RowsWithoutFile int    `json:"rowsWithoutFile"` // listed
	INSDisagree     int    `json:"insDisagree"`     // documents whose INS differs from their row's
}

func newSummary(mode, archive string, now time.Time) *Summary {
	return &Summary{
		Mode: mode, Archive: archive, Started: now,
		Outcomes: map[Outcome]int{}, Reasons: map[docbridge.Reason]int{},
		Types: map[string]int{}, Years: map[string]int{}, Formats: map[docbridge.Format]int{},
		byReason: map[OutcomeReason]int{}, mu: new(sync.Mutex),
	}
}

// add counts one item.
func (s *Summary) add(it Item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Items++
	s.Outcomes[it.Outcome]++
	if it.Reason != "" {
		bump(s.Reasons, it.Reason, "(other)")
	}
	bump(s.byReason, OutcomeReason{Outcome: it.Outcome, Reason: it.Reason}, OutcomeReason{Outcome: it.Outcome, Reason: "(other)"})
	bump(s.Formats, it.Format, "(other)")
	if d := it.Doc; d != nil {
		bump(s.Types, d.Type.Code+" "+d.Type.Display, "(other)")
		if len(d.Creation) >= 4 {
			bump(s.Years, d.Creation[:4], "(other)")
		}
	}
}

// bump adds one to m[k], or to m[other] when m is full.
func bump[K comparable](m map[K]int, k, other K) {
	if _, ok := m[k]; !ok && len(m) >= maxKeys {
		k = other
	}
	m[k]++
}

// finish sorts the breakdowns for the report.
func (s *Summary) finish(now time.Time) {
	s.Finished = now
	s.ByReason = s.ByReason[:0]
	for k, n := range s.byReason {
		k.N = n
		s.ByReason = append(s.ByReason, k)
	}
	sort.Slice(s.ByReason, func(i, j int) bool {
		a, b := s.ByReason[i], s.ByReason[j]
		if a.Outcome != b.Outcome {
			return a.Outcome < b.Outcome
		}
		return a.Reason < b.Reason
	})
}
