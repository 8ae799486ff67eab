package pipeline

import (
	"context"
	"sync"
	"time"

	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/traits"
)

// chainKey is what orders deliveries: documents with the same key are
// delivered one at a time, in the order the store gave them; documents
// with different keys go in parallel. The key is the patient's INS
// (normalised), which is coarser than a version chain on purpose: every
// document a delivery touches — the versions it names and settles first
// (planFor), those it retires (afterDelivery, planKnown), itself when a
// newer version was delivered first (planCreate) — is the same patient's
// (a version naming another patient's document stops in review before
// anything is touched: crossPatient), so no two deliveries in flight ever
// touch one chain, whether the versions are linked by uniqueId, by
// replaces or by replacesServerId, and however a chain was re-rooted. A
// patient's own documents also reach MES in the order they came. A
// document without an INS (it cannot be matched, and is only recorded)
// has its own key.
func chainKey(r store.DocRow) string {
	if ins := traits.Normalize(r.Doc.Patient.INS); ins != "" {
		return "ins:" + ins
	}
	return "doc:" + r.UniqueID
}

// chains groups rows by chainKey, keeping the store's order within each
// group and ordering the groups by their first row.
func chains(rows []store.DocRow) [][]store.DocRow {
	var out [][]store.DocRow
	at := map[string]int{}
	for _, r := range rows {
		k := chainKey(r)
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], r)
	}
	return out
}

// deliverRows delivers rows, one chain (chainKey) at a time and up to the
// endpoint's adaptive limit of chains at once; it returns when every
// delivery it started is recorded. A chain stops, leaving the rest of its
// rows where they are (due, or claimed until their lease ends), when the
// circuit breaker or a Retry-After pause stops deliveries, when a claimed
// row's lease is too far gone to cover a request (see leaseCovers), or
// after an error; the first error is returned.
func (p *Pipeline) deliverRows(ctx context.Context, rows []store.DocRow) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	failed := func() bool { mu.Lock(); defer mu.Unlock(); return first != nil }
	for _, chain := range chains(rows) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, r := range chain {
				if failed() {
					return
				}
				more, err := p.deliverOne(ctx, r)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
				if !more || err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// deliverOne delivers r within a slot of the endpoint's limit, unless a
// delivery of this step settled it already. more is false when the chain
// must stop here (see deliverRows); r is then left where it is.
func (p *Pipeline) deliverOne(ctx context.Context, r store.DocRow) (more bool, err error) {
	if err := p.limit.acquire(ctx); err != nil {
		return false, nil // stopping
	}
	defer p.limit.release()
	if p.isSettled(r.ID) {
		return true, nil
	}
	if !p.mayStart(r) {
		return false, nil
	}
	return true, p.deliverAt(ctx, r, 0)
}

// mayStart reports whether a delivery of r may start now: the breaker is
// closed (or lets this one through as its probe), no Retry-After pause is
// running and, under a Lease, r's lease still covers a request.
func (p *Pipeline) mayStart(r store.DocRow) bool {
	now := p.o.Now()
	return p.limit.open(now) && p.leaseCovers(r, now) && p.breaker.allow(now)
}

// leaseCovers reports whether r, claimed under a Lease, is still ours for
// long enough to send it: at least half the lease is left. A row past
// that is left to its lease's end, when this or another instance claims
// it again, so that no request is still in flight when the lease ends
// (Options.Lease must exceed twice the longest request).
func (p *Pipeline) leaseCovers(r store.DocRow, now time.Time) bool {
	if p.o.Lease <= 0 || !p.claimed[r.ID] {
		return true
	}
	return !now.After(r.NextAttempt.Add(-p.o.Lease / 2))
}

// markSettled and isSettled keep the documents the current deliver step
// delivered inline (settle): their own row, read before, is stale.
func (p *Pipeline) markSettled(id int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.settled[id] = true
}

func (p *Pipeline) isSettled(id int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.settled[id]
}
