package mllp

import "time"

// refusalLogEvery is the least time between two log lines about refused
// connections.
const refusalLogEvery = 10 * time.Second

// refusals counts connections refused because the listener was full, and
// logs them without flooding the log: the first at once, then at most one
// line every refusalLogEvery with the count since the last line. It is
// used by Run's goroutine alone.
type refusals struct {
	since  int // refused and not yet logged
	logged time.Time
}

// add counts one refusal of a connection from peer and logs when due.
func (r *refusals) add(o Options, peer string) {
	r.since++
	now := o.Now()
	if !r.logged.IsZero() && now.Sub(r.logged) < refusalLogEvery {
		return
	}
	o.Log.Warn().Str("intake", o.Name).Str("peer", peer).Int("refused", r.since).Int("max_connections", o.MaxConnections).
		Msg("connection refused: the listener holds its maximum of connections (mllp[].max_connections); the sender may retry")
	r.since, r.logged = 0, now
}
