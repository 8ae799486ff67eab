package audit

import (
	"fmt"
	"iter"
	"time"

	"github.com/docbridge/docbridge"
)

// t0 is the time of the first test record.
var t0 = time.Date(2026, 11, 25, 9, 30, 0, 123456789, time.UTC)

// chain returns n sealed records of varied kinds, linked from Genesis.
func chain(n int) []Record {
	kinds := []Kind{InputAccepted, DocumentCreated, DocumentTransition, MESExchange, PairingCreated, Admin}
	out := make([]Record, n)
	prev := Genesis
	for i := range out {
		r := Record{
			At:      t0.Add(time.Duration(i) * time.Second),
			Kind:    kinds[i%len(kinds)],
			Actor:   "deliver",
			DocID:   int64(i/3 + 1),
			InputID: int64(i/3 + 1),
			To:      docbridge.Matched,
			Message: fmt.Sprintf("step %d", i),
		}
		if r.Kind == MESExchange {
			r.Exchange = &Exchange{RequestID: fmt.Sprintf("req-%d", i), Status: 201, MESID: fmt.Sprintf("mes-%d", i)}
		}
		Seal(&r, prev.Seq, prev.Hash)
		prev = Anchor{r.Seq, r.Hash}
		out[i] = r
	}
	return out
}

// seq iterates over records.
func seq(records []Record) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for _, r := range records {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// head is the anchor of the last record.
func head(records []Record) *Anchor {
	if len(records) == 0 {
		return &Genesis
	}
	r := records[len(records)-1]
	return &Anchor{r.Seq, r.Hash}
}
