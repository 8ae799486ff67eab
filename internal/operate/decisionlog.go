package operate

import (
	"context"
	"fmt"
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/internal/store"
)

// HistoryStore is the part of the store DecisionLog reads. *store.Store
// implements it.
type HistoryStore interface {
	Documents(ctx context.Context, f store.Filter) ([]store.DocRow, error)
	History(ctx context.Context, docID int64) ([]store.Event, error)
}

// DecisionLog implements identity.Decisions over the store's history: the
// confirmations are the review → converted transitions made by a person
// (actor "user:…") whose message is an identity.ConfirmationMessage —
// what Do records for a Confirm. They are committed with the decision
// itself, so a confirmation exists exactly when the document left review
// through it.
type DecisionLog struct {
	Store HistoryStore
}

var _ identity.Decisions = DecisionLog{}

// Confirmations implements identity.Decisions. It reads the history of the
// stored version with this uniqueId and content hash.
func (l DecisionLog) Confirmations(ctx context.Context, uniqueID, sha256 string) ([]identity.Confirmation, error) {
	rows, err := l.Store.Documents(ctx, store.Filter{UniqueID: uniqueID})
	if err != nil {
		return nil, fmt.Errorf("find document %s: %w", uniqueID, err)
	}
	var out []identity.Confirmation
	for _, r := range rows {
		if !strings.EqualFold(r.SHA256, sha256) {
			continue
		}
		events, err := l.Store.History(ctx, r.ID)
		if err != nil {
			return nil, fmt.Errorf("read decisions of document %d: %w", r.ID, err)
		}
		for _, e := range events {
			if e.From != docbridge.Review || e.To != docbridge.Converted || !strings.HasPrefix(e.Actor, "user:") {
				continue
			}
			if c, ok := identity.ParseConfirmation(e.Message); ok {
				out = append(out, c)
			}
		}
	}
	return out, nil
}
