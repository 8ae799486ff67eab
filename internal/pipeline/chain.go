package pipeline

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// chains groups rows into version chains, delivered one row at a time,
// in the store's order, while different chains go in parallel. Two rows
// are in one chain when they share a key: their uniqueId, the uniqueId
// they replace, and, for a replacement naming its original by MES id
// only, the uniqueId docbridge delivered under that id (the same lookup
// resolveServerID makes), and the keys of the versions a settle of those
// may deliver inline (chainKeys). Every document a delivery touches has one of
// its row's keys as uniqueId — the versions it names and settles first
// (planFor), those it retires (afterDelivery, planKnown), itself when a
// newer version was delivered first (planCreate) — so no two deliveries
// in flight ever touch one document, and the versions of one report
// (original, replacement, replacement of the replacement, deletion) are
// never in flight together nor sent out of order. Unrelated documents,
// even of one patient, go in parallel: MES orders nothing else. Groups
// come in the order of their first row.
func (p *Pipeline) chains(ctx context.Context, rows []store.DocRow) ([][]store.DocRow, error) {
	parent := make([]int, len(rows))
	for i := range parent {
		parent[i] = i
	}
	var find func(i int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	owner := map[string]int{} // key → a row holding it
	for i, r := range rows {
		keys, err := p.chainKeys(ctx, r)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			j, ok := owner[k]
			if !ok {
				owner[k] = i
				continue
			}
			if a, b := find(i), find(j); a != b {
				parent[max(a, b)] = min(a, b) // the root is the chain's first row
			}
		}
	}
	var out [][]store.DocRow
	at := map[int]int{} // root → index in out
	for i, r := range rows {
		root := find(i)
		g, ok := at[root]
		if !ok {
			g = len(out)
			at[root] = g
			out = append(out, nil)
		}
		out[g] = append(out[g], r)
	}
	return out, nil
}

// chainKeys returns the uniqueIds whose versions a delivery of r may
// touch (see chains): its own, the one it names, and, down to
// maxSettleDepth, those named by the versions a settle may deliver inline
// (a delivery of a version it names touches what that version names). A
// deletion names the versions of its own uniqueId.
func (p *Pipeline) chainKeys(ctx context.Context, r store.DocRow) ([]string, error) {
	keys := []string{r.UniqueID}
	frontier, err := p.namedKey(ctx, r)
	if err != nil || len(frontier) == 0 && (r.Doc == nil || r.Doc.Action != docbridge.Delete) {
		return keys, err
	}
	if r.Doc.Action == docbridge.Delete {
		keys, frontier = nil, []string{r.UniqueID}
	}
	for depth := 0; len(frontier) > 0 && depth <= maxSettleDepth; depth++ {
		var next []string
		for _, k := range frontier {
			if slices.Contains(keys, k) {
				continue
			}
			keys = append(keys, k)
			olds, err := p.o.Store.Documents(ctx, store.Filter{UniqueID: k})
			if err != nil {
				return nil, fmt.Errorf("find the versions document %d names: %w", r.ID, err)
			}
			for _, o := range olds {
				n, err := p.namedKey(ctx, o)
				if err != nil {
					return nil, err
				}
				next = append(next, n...)
			}
		}
		frontier = next
	}
	return keys, nil
}

// namedKey returns the uniqueId a replacement r names (resolving a MES id
// as resolveServerID does), if any; nil for a deletion (chainKeys starts
// from its own uniqueId).
func (p *Pipeline) namedKey(ctx context.Context, r store.DocRow) ([]string, error) {
	d := r.Doc
	switch {
	case d == nil || d.Action == docbridge.Delete:
		return nil, nil
	case d.Replaces != "":
		return []string{d.Replaces}, nil
	case d.ReplacesServerID != "":
		named, err := p.o.Store.DocumentsByMESID(ctx, d.ReplacesServerID)
		if err != nil {
			return nil, fmt.Errorf("resolve the MES id document %d replaces: %w", r.ID, err)
		}
		if len(named) > 0 {
			return []string{named[0].UniqueID}, nil
		}
	}
	return nil, nil
}

// deliverRows delivers rows, one chain (chains) at a time and up to the
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
	groups, err := p.chains(ctx, rows)
	if err != nil {
		return err
	}
	for _, chain := range groups {
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
// delivered inline (settle) or retired (retire): their own row, read
// before, is stale.
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
