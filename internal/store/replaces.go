package store

import (
	"context"
	"fmt"
)

// Replacing returns the document versions that replace uniqueID (their
// metadata says action "replace" with replaces = uniqueID), oldest first.
// It lets a version that arrives after its replacement be recognised as
// already superseded.
func (s *Store) Replacing(ctx context.Context, uniqueID string) ([]DocRow, error) {
	out, err := queryDocs(ctx, s.r, `SELECT `+docCols+` FROM documents WHERE `+s.eng.replacingWhere()+` ORDER BY id`, uniqueID)
	if err != nil {
		return nil, fmt.Errorf("store: list replacements of a document: %w", err)
	}
	return out, nil
}
