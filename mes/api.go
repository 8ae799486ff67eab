package mes

// STUB: the contract internal/pipeline and cmd/ are written against.

import (
	"context"
	"io"
	"net/http"

	"github.com/docbridge/docbridge"
)

// Options configures a Client.
type Options struct {
	BaseURL    string       // the Documents API base, e.g. https://…/api/v1
	HTTPClient *http.Client // nil means a client with sane timeouts
	UserAgent  string
}

// Client talks to the MES Documents API with the mes-api profile.
type Client struct{}

// NewClient returns a Client.
func NewClient(o Options) *Client { panic("unimplemented") }

// Deliver sends one document for the paired patient p, streaming content
// (the exact bytes whose size and hashes d carries) as base64 into the body.
func (c *Client) Deliver(ctx context.Context, d *docbridge.Document, content io.Reader, p docbridge.Pairing) (docbridge.Receipt, error) {
	panic("unimplemented")
}

// WriteDocumentReference writes the exact mes-api request body for d.
func WriteDocumentReference(w io.Writer, d *docbridge.Document, content io.Reader, p *docbridge.Pairing) error {
	panic("unimplemented")
}
