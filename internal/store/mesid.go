package store

import (
	"context"
	"fmt"
)

// DocumentsByMESID returns the document versions MES gave the id mesID
// when docbridge delivered them (documents.mes_id), oldest first: normally
// one, none when docbridge never delivered a document MES calls mesID. An
// empty mesID matches nothing. It lets a replacement that names the version
// it replaces by its server id be resolved to that version's uniqueId.
func (s *Store) DocumentsByMESID(ctx context.Context, mesID string) ([]DocRow, error) {
	if mesID == "" {
		return nil, nil
	}
	out, err := queryDocs(ctx, s.r, `SELECT `+docCols+` FROM documents WHERE mes_id = ? ORDER BY id`, mesID)
	if err != nil {
		return nil, fmt.Errorf("store: find documents by MES id: %w", err)
	}
	return out, nil
}
