package mes

import (
	"bytes"
	"context"
	"net/http"

	"github.com/docbridge/docbridge"
)

// sendJSON sends one FHIR JSON request about d with p's token — body to u
// by method, header adding what the call needs (nil: nothing) — and reads
// MES's answer (readAnswer). resp is nil when MES never answered; then the
// error is a transport error (MESUnavailable) or Internal for a request
// that could not be built. With resp, answer and reqID are MES's and err
// classifies a non-2xx answer, as Deliver says.
func (c *Client) sendJSON(ctx context.Context, d *docbridge.Document, p docbridge.Pairing, method, u string, body []byte, header func(http.Header)) (resp *http.Response, answer []byte, reqID string, err error) {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, nil, "", docbridge.Wrap(docbridge.Internal, "build the MES request; check the MES base URL", err)
	}
	reqID = newRequestID()
	setHeaders(req.Header, p.AccessToken, reqID, c.ua)
	req.Header.Set("Content-Type", mediaFHIRJSON)
	if header != nil {
		header(req.Header)
	}
	if resp, err = c.hc.Do(req); err != nil {
		return nil, nil, "", transportError(d.UniqueID, err)
	}
	answer, reqID, err = readAnswer(req, resp, reqID, newRedactor(d, &p))
	return resp, answer, reqID, err
}
