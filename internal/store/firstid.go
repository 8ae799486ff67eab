package store

import (
	"context"
	"fmt"
	"math"
	"time"
)

// firstIDAt returns the lowest id that a document created at or after t
// has or would have: documents are stored in the order they are created,
// so creation times do not decrease as ids grow, and a binary search over
// the primary key finds the bound in a few dozen index probes. With
// several instances whose clocks differ, a document created within that
// difference of t may fall on the other side of the bound.
func (s *Store) firstIDAt(ctx context.Context, t time.Time) (int64, error) {
	var lo, hi int64 = 1, 1
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM documents`).Scan(&hi); err != nil {
		return 0, fmt.Errorf("first document at %s: %w", t.Format(time.RFC3339), err)
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		// created is the creation time of the first document at or after
		// mid; none counts as after t.
		var created int64
		err := s.r.QueryRowContext(ctx, `SELECT COALESCE((SELECT created_at FROM documents WHERE id >= ? ORDER BY id LIMIT 1), ?)`,
			mid, int64(math.MaxInt64)).Scan(&created)
		if err != nil {
			return 0, fmt.Errorf("first document at %s: %w", t.Format(time.RFC3339), err)
		}
		if created >= nanos(t) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, nil
}
