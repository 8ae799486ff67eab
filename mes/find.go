package mes

import (
	"context"

	"github.com/docbridge/docbridge"
)

// Find asks MES whether it holds a version of the document uniqueID for
// the patient of pairing p, current or superseded: it is how docbridge
// settles a delivery whose answer was lost without sending anything
// again. It searches with the Client's profile (Search: ITI-67 by
// identifier for pdsm-iti65; the patient's documents, filtered here, for
// mes-api) and returns the MES id of what it found; found is false when MES
// holds no such version (a deleted one is not found). Errors are Search's.
func (c *Client) Find(ctx context.Context, uniqueID string, p docbridge.Pairing) (mesID string, found bool, err error) {
	docs, err := c.Search(ctx, p, SearchQuery{UniqueID: uniqueID, Status: []string{"current", "superseded"}})
	if err != nil || len(docs) == 0 {
		return "", false, err
	}
	return docs[0].MESID, true, nil
}
