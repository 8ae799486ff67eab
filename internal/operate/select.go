package operate

import (
	"context"

	"github.com/docbridge/docbridge/internal/store"
)

// Lister lists stored documents. *store.Store implements it.
type Lister interface {
	Documents(ctx context.Context, f store.Filter) ([]store.DocRow, error)
}

// Select lists the documents f selects (in SQL: ids, reason, intake,
// creation time) to which action a applies (Applies), oldest first.
func Select(ctx context.Context, st Lister, a Action, f store.Filter) ([]store.DocRow, error) {
	rows, err := st.Documents(ctx, f)
	if err != nil {
		return nil, err
	}
	out := rows[:0]
	for _, r := range rows {
		if Applies(a, r) {
			out = append(out, r)
		}
	}
	return out, nil
}
