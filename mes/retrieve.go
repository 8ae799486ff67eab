package mes

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/docbridge/docbridge"
)

// maxRedirects bounds the redirects Retrieve follows (ITI-68 allows 301,
// 302, 303 and 307).
const maxRedirects = 5

// Retrieve copies to w the document at rawURL, the attachment URL Search
// found (absolute, or relative to the base URL), with pairing p's token
// (ITI-68), and returns the number of bytes copied. It follows redirects
// on the MES host, and refuses any URL off that host: the token is sent to
// MES only. It does not close w.
//
// Retrieve blocks until the document is copied or ctx is done. Errors are
// *docbridge.Error classified as Deliver's: MESUnavailable (network, 5xx,
// an answer cut short), PairingRevoked (401, or p.Revoked), MESRejected
// (other 4xx: 404 unknown, 410 deleted), Internal (no token, a URL off the
// MES host, too many redirects, or w's write error). After an error, w may
// hold part of the document.
func (c *Client) Retrieve(ctx context.Context, p docbridge.Pairing, rawURL string, w io.Writer) (int64, error) {
	if err := checkReader(p); err != nil {
		return 0, err
	}
	target, err := c.onBase(rawURL)
	if err != nil {
		return 0, err
	}
	redact := newRedactor(&docbridge.Document{}, &p)
	for hops := 0; ; hops++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return 0, docbridge.Wrap(docbridge.Internal, "build the MES request", err)
		}
		reqID := newRequestID()
		setHeaders(req.Header, p.AccessToken, reqID, c.ua)
		req.Header.Set("Accept", "*/*")
		resp, err := c.hc.Do(req)
		if err != nil {
			return 0, docbridge.Wrap(docbridge.MESUnavailable, "retrieve a document: MES could not be reached", err)
		}
		switch st := resp.StatusCode; {
		case st >= 200 && st < 300:
			return copyDocument(w, resp)
		case st == http.StatusMovedPermanently, st == http.StatusFound, st == http.StatusSeeOther,
			st == http.StatusTemporaryRedirect, st == http.StatusPermanentRedirect:
			resp.Body.Close()
			if hops == maxRedirects {
				return 0, docbridge.Errorf(docbridge.Internal, "retrieving a document was redirected more than %d times", maxRedirects)
			}
			loc, err := req.URL.Parse(resp.Header.Get("Location"))
			if err != nil || resp.Header.Get("Location") == "" {
				return 0, docbridge.Errorf(docbridge.MESUnavailable, "MES redirected a retrieval (HTTP %d) without a usable Location", st)
			}
			if target, err = c.onBase(loc.String()); err != nil {
				return 0, err
			}
		default:
			_, _, err := readAnswer(req, resp, reqID, redact)
			return 0, err
		}
	}
}

// copyDocument copies a 2xx answer's body to w, checking its
// Content-Length when there is one.
func copyDocument(w io.Writer, resp *http.Response) (int64, error) {
	defer resp.Body.Close()
	cw := &countingWriter{w: w}
	n, err := io.Copy(cw, resp.Body)
	switch {
	case cw.err != nil:
		return n, docbridge.Wrap(docbridge.Internal, "write the retrieved document", cw.err)
	case err != nil:
		return n, docbridge.Wrap(docbridge.MESUnavailable, fmt.Sprintf("the document's transfer broke off after %d bytes", n), err)
	case resp.ContentLength >= 0 && n != resp.ContentLength:
		return n, docbridge.Errorf(docbridge.MESUnavailable, "the document's transfer stopped after %d of %d bytes", n, resp.ContentLength)
	}
	return n, nil
}

// countingWriter keeps w's own error apart from the reader's.
type countingWriter struct {
	w   io.Writer
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err != nil {
		c.err = err
	}
	return n, err
}

// onBase resolves ref (absolute, or relative to the base URL as FHIR
// references are) and returns it when it is on the base URL's scheme and
// host, and an Internal error otherwise.
func (c *Client) onBase(ref string) (string, error) {
	base, err := url.Parse(c.base)
	if err != nil || base.Host == "" {
		return "", docbridge.Errorf(docbridge.Internal, "the MES base URL %q is not an absolute URL; check mes.base_url", c.base)
	}
	if strings.TrimSpace(ref) == "" {
		return "", docbridge.Errorf(docbridge.Internal, "no document URL")
	}
	base.Path = strings.TrimRight(base.Path, "/") + "/"
	base.RawPath = ""
	u, err := base.Parse(ref)
	if err != nil {
		return "", docbridge.Errorf(docbridge.Internal, "the document URL is not a URL")
	}
	if u.Scheme != base.Scheme || u.Host != base.Host {
		return "", docbridge.Errorf(docbridge.Internal, "the document URL is on %s, not on MES's host %s: a pairing's token is only sent to MES", u.Host, base.Host)
	}
	return u.String(), nil
}
