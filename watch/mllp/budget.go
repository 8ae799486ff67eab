package mllp

import "sync/atomic"

// budget is a number of bytes shared by a listener's connections: memory
// for messages held in memory, or disk for messages spooled while they
// arrive. It is safe for concurrent use.
type budget struct{ left atomic.Int64 }

func newBudget(n int64) *budget {
	b := &budget{}
	b.left.Store(n)
	return b
}

// take reserves n bytes and reports whether they were there; nothing is
// reserved when they were not.
func (b *budget) take(n int64) bool {
	for {
		left := b.left.Load()
		if left < n {
			return false
		}
		if b.left.CompareAndSwap(left, left-n) {
			return true
		}
	}
}

// give returns n bytes taken before.
func (b *budget) give(n int64) { b.left.Add(n) }
