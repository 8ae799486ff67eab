package admin

import (
	"sort"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

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
