package pipeline

import (
	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// standings sorts the versions a replacement or deletion names by what MES
// may hold of them. Only a version that certainly never reached MES may be
// retired here without telling MES; what was sent without a definite
// answer may be at MES (its answer lost: a reset, a timeout after MES
// committed) and is settled first.
type standings struct {
	// reached: some version is at MES (delivered, or retired after it
	// was sent): the document goes naming it.
	reached bool
	// unknown: sent without a definite answer and now where nothing here
	// retries it (review, failed, held for a pairing): only MES can say
	// whether it holds it (Finder, Pipeline.atMES).
	unknown []store.DocRow
	// pending: sent without a definite answer, or possibly being sent by
	// another instance (claimed), and still to be retried here.
	pending []store.DocRow
	// absent: certainly never reached MES (never sent, or refused by MES
	// with a definite 4xx).
	absent []store.DocRow
}

// standings classifies olds (see standings).
func (p *Pipeline) standings(olds []store.DocRow) standings {
	var s standings
	for _, o := range olds {
		switch {
		case o.State == docbridge.Delivered:
			s.reached = true
		case o.State == docbridge.Superseded || o.State == docbridge.Deleted:
			// Retired: by MES when it was sent, here when it never was.
			if o.Attempts > 0 {
				s.reached = true
			} else {
				s.absent = append(s.absent, o)
			}
		case o.Attempts > 0 && o.Reason == docbridge.MESRejected:
			s.absent = append(s.absent, o)
		case p.claimedElsewhere(o):
			// Claimed by another instance, which may be sending it now.
			s.pending = append(s.pending, o)
		case o.Attempts == 0:
			s.absent = append(s.absent, o)
		case o.State == docbridge.Matched || o.State == docbridge.Held && retried(o.Reason):
			s.pending = append(s.pending, o)
		default:
			s.unknown = append(s.unknown, o)
		}
	}
	return s
}

// claimedElsewhere reports whether another instance has claimed o (under
// a Lease) and may be sending it now.
func (p *Pipeline) claimedElsewhere(o store.DocRow) bool {
	return o.State == docbridge.Matched && p.o.Lease > 0 && o.NextAttempt.After(p.o.Now()) && !p.claimed[o.ID]
}

// retried reports whether a held document with this reason is retried by
// the deliver stage on its own schedule.
func retried(r docbridge.Reason) bool {
	return r == docbridge.MESUnavailable || r == docbridge.Internal
}

// dueNow reports whether this instance may retry o now: its retry is due,
// or this deliver step claimed it.
func (p *Pipeline) dueNow(o store.DocRow) bool {
	return !o.NextAttempt.After(p.o.Now()) || p.claimed[o.ID]
}
