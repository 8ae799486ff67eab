package operate

import (
	"context"

	"github.com/docbridge/docbridge/internal/audit"
	"github.com/docbridge/docbridge/internal/store"
)

// Reconverter converts a stored input again with what is configured now;
// *pipeline.Pipeline implements it (see its Reconvert for the contract).
type Reconverter interface {
	Reconvert(ctx context.Context, inputID int64) (store.Reconversion, error)
}

// ReconvertInput converts input inputID again through rc, as actor (the
// records' actor, "user:NAME"). Its errors and result are rc's: an error
// wrapping store.ErrConflict when nothing of the input is stopped for a
// reason a new conversion can change, Unchanged when the new conversion
// came to the same outcome.
func ReconvertInput(ctx context.Context, rc Reconverter, actor string, inputID int64) (store.Reconversion, error) {
	return rc.Reconvert(audit.WithActor(ctx, actor), inputID)
}
