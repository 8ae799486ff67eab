package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"
)

// Exclusive runs fn while holding the lock called name, shared by every
// instance on the store's database, so that at most one of them runs a
// job of that name at a time (the pairing-token refresher, an audit
// forwarder: two at once would refresh one token twice, or send records
// twice). It returns false without running fn when the lock is held
// elsewhere, and fn's error otherwise. On PostgreSQL the lock is a session
// advisory lock on a connection held for fn's duration (the server drops
// it if the instance dies); on SQLite, whose store one instance uses, it
// only excludes the other callers of this process.
func (s *Store) Exclusive(ctx context.Context, name string, fn func(context.Context) error) (bool, error) {
	pg, ok := s.eng.(*pgEngine)
	if !ok {
		mu, _ := s.exclusive.LoadOrStore(name, new(sync.Mutex))
		if !mu.(*sync.Mutex).TryLock() {
			return false, nil
		}
		defer mu.(*sync.Mutex).Unlock()
		return true, fn(ctx)
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	key := int32(h.Sum32())
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("store: lock %s: %w", name, err)
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(?, ?)`, key, pg.key).Scan(&got); err != nil {
		return false, fmt.Errorf("store: lock %s: %w", name, err)
	}
	if !got {
		return false, nil
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(?, ?)`, key, pg.key)
	return true, fn(ctx)
}
