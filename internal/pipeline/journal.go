package pipeline

import (
	"context"
	"sync"
	"time"

	"github.com/docbridge/docbridge/internal/store"
)

// The intake journal (store.AcceptJournaled) lets an MLLP message be
// acknowledged on one row; the convert stage records its entries as inputs
// later, many to a transaction. Recording competes with the
// acknowledgements for the store's one writer and for the CPU, so while
// senders wait for answers it waits too: for a pause of journalQuiet in
// their flow, or until the journal holds journalHold entries. A burst of
// up to journalHold messages is acknowledged at the journal's pace and
// recorded behind it; a longer flood is acknowledged at the pace inputs
// are recorded, the backlog staying near journalHold.
const (
	journalQuiet = 50 * time.Millisecond
	journalHold  = 10000
	// journalBatch is how many entries one transaction records (tens of
	// milliseconds of the writer).
	journalBatch = 128
)

// applyJournal records up to journalBatch journal entries once the
// senders allow it (see above): recordJournalBatch. busy says entries
// were recorded; an entry that could not be is logged and stays for the
// next step.
func (p *Pipeline) applyJournal(ctx context.Context) (busy bool, err error) {
	n, err := p.o.Store.JournalBacklog(ctx)
	if err != nil || n == 0 {
		return false, err
	}
	// While it waits, the backlog grows by the messages journaled since.
	since := p.journaled.Load()
	for n+int(p.journaled.Load()-since) < journalHold && !p.senders.quietFor(journalQuiet) {
		select {
		case <-ctx.Done():
			return false, nil
		case <-time.After(journalQuiet):
		}
	}
	return p.recordJournalBatch(ctx)
}

// recordJournal records the entries the journal holds when it is called,
// without waiting for the senders: the store calls it before it records
// an MLLP message at once (store.AcceptJournaled), so that inputs are
// recorded in the order they were acknowledged. An entry that cannot be
// recorded is logged and left, as applyJournal leaves it.
func (p *Pipeline) recordJournal(ctx context.Context) error {
	n, err := p.o.Store.JournalBacklog(ctx)
	for ; err == nil && n > 0; n -= journalBatch {
		_, err = p.recordJournalBatch(ctx)
	}
	return err
}

// recordJournalBatch records the journal's oldest journalBatch entries
// and logs each as Accept logs an input; busy says entries were recorded.
func (p *Pipeline) recordJournalBatch(ctx context.Context) (busy bool, err error) {
	var mu sync.Mutex
	decided := map[string]converted{} // by input SHA-256: what its conversion decided
	applied, err := p.o.Store.ApplyJournal(ctx, journalBatch, func(in store.Input) (store.Conversion, error) {
		c, rerr := p.conversion(in)
		mu.Lock()
		decided[in.SHA256] = c
		mu.Unlock()
		return c.conversion(), rerr
	})
	if err != nil {
		return false, err
	}
	for _, a := range applied {
		if a.Err != nil {
			p.o.Log.Error().Err(a.Err).Int64("journal", a.Entry).Msg("cannot record the journaled input now; retrying at the next step")
			continue
		}
		busy = true
		log := p.o.Log.With().Int64("input", a.ID).Int64("journal", a.Entry).Str("intake", a.Intake).Logger()
		p.accepted(log, a.Converted, decided[a.SHA256])
	}
	return busy, nil
}
