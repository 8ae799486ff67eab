package mes

import (
	"io"

	"github.com/docbridge/docbridge"
)

// WriteBody writes to w the exact request body Deliver sends for d with
// the Client's profile: the DocumentReference of mes-api
// (WriteDocumentReference; a delete has no body there: ErrNoBody), or the
// ITI-65 transaction bundle of pdsm-iti65 (WriteBundle, with the Client's
// SourceID — the placeholder 2.25.0 when empty — and clock; for a delete,
// the FHIRPath Patch of its conditional PATCH). With p nil the subject is
// the placeholder reference (docbridge inspect --wire). Errors are those
// functions'; an unknown profile is an *docbridge.Error of reason
// Internal. It does no I/O but writing w and reading content.
func (c *Client) WriteBody(w io.Writer, d *docbridge.Document, content io.Reader, p *docbridge.Pairing) error {
	switch c.o.Profile {
	case ProfileMESAPI:
		return WriteDocumentReference(w, d, content, p)
	case ProfilePDSm:
		return WriteBundle(w, d, content, p, BundleOptions{SourceID: c.o.SourceID, Now: c.o.Now})
	}
	return docbridge.Errorf(docbridge.Internal, "unknown MES profile %q (mes-api or pdsm-iti65); check mes.profile", c.o.Profile)
}
