package store

import (
	"context"
	"fmt"

	"github.com/docbridge/docbridge"
)

// PairingsWithoutTokens lists all pairings as Pairings does, revoked ones
// included, oldest first, but leaves their tokens empty: it reads no
// token, so it needs no token key. For listings that show no token.
func (s *Store) PairingsWithoutTokens(ctx context.Context) ([]docbridge.Pairing, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+pairingCols+` FROM pairings ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: list pairings: %w", err)
	}
	defer rows.Close()
	clear := &Store{} // no key: scanPairing is given empty tokens below
	var out []docbridge.Pairing
	for rows.Next() {
		p, err := clear.scanPairing(tokenless{rows})
		if err != nil {
			return nil, fmt.Errorf("store: list pairings: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list pairings: %w", err)
	}
	return out, nil
}

// tokenless scans a row of pairingCols, emptying the two token columns.
type tokenless struct {
	sc interface{ Scan(...any) error }
}

func (t tokenless) Scan(dest ...any) error {
	if err := t.sc.Scan(dest...); err != nil {
		return err
	}
	*dest[3].(*string), *dest[4].(*string) = "", ""
	return nil
}
