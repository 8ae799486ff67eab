package store

import (
	"context"
	"testing"
)

// While one handle runs an exclusive job, a second handle on the same
// database (another instance, on PostgreSQL; another caller, on SQLite) is
// told the lock is taken; once the job ends, it gets it.
func TestExclusive(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		opts := e.fresh(t)
		a := openTest(t, opts)
		b := a
		if e.name == postgresT.name {
			b = openTest(t, opts) // a second instance: its own pool
		}
		ctx := context.Background()
		ran, err := a.Exclusive(ctx, "job", func(ctx context.Context) error {
			inner, err := b.Exclusive(ctx, "job", func(context.Context) error {
				t.Error("the second holder ran while the first held the lock")
				return nil
			})
			if err != nil || inner {
				t.Errorf("second Exclusive = %t, %v; want false, nil", inner, err)
			}
			other, err := b.Exclusive(ctx, "another job", func(context.Context) error { return nil })
			if err != nil || !other {
				t.Errorf("Exclusive on another name = %t, %v; want true, nil", other, err)
			}
			return nil
		})
		if err != nil || !ran {
			t.Fatalf("first Exclusive = %t, %v", ran, err)
		}
		ran, err = b.Exclusive(ctx, "job", func(context.Context) error { return nil })
		if err != nil || !ran {
			t.Errorf("Exclusive after release = %t, %v; want true, nil", ran, err)
		}
	})
}
