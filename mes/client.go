package mes

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/docbridge/docbridge"
)

// The wire profiles a Client speaks (docs/architecture.md §13).
const (
	// ProfileMESAPI is one DocumentReference per document, the content
	// inline (mes-api, the default).
	ProfileMESAPI = "mes-api"
	// ProfilePDSm is the PDSm comprehensive ITI-65 transaction bundle:
	// SubmissionSet, DocumentReference and Binary (iti65.go).
	ProfilePDSm = "pdsm-iti65"
)

// Options configures a Client.
type Options struct {
	BaseURL    string       // the Documents API base, e.g. https://…/api/v1
	HTTPClient *http.Client // nil means NewHTTPClient(nil)
	UserAgent  string       // "" means "docbridge"

	// Profile is ProfileMESAPI ("" means it) or ProfilePDSm.
	Profile string
	// SourceID is the OID of this docbridge installation as a document
	// source ("1.2.250…" or "urn:oid:1.2.250…"): the SubmissionSet's
	// ihe-sourceId. ProfilePDSm requires it.
	SourceID string
	// Now is the clock of submission times (ProfilePDSm); nil means
	// time.Now.
	Now func() time.Time

	// Measurements (measure.go). MeasureCanonicals gives the meta.profile
	// canonical of each measurement profile by its name
	// (docbridge.Measurement.Profile); a profile without one is not sent.
	MeasureCanonicals map[string]string
	// DeviceOID keys the Device standing for a source system; "" means
	// SourceID, else DefaultDeviceOID.
	DeviceOID string
	// SubjectSystem is the identifier system of MES's person id in
	// Observation.subject; "" means DefaultSubjectSystem.
	SubjectSystem string
}

// Client talks to the MES Documents API with one wire profile. It is safe
// for concurrent use.
type Client struct {
	base string
	hc   *http.Client
	ua   string
	o    Options
}

// NewClient returns a Client for o. It does no I/O; a bad BaseURL, profile
// or SourceID shows as an error from Deliver.
func NewClient(o Options) *Client {
	if o.Profile == "" {
		o.Profile = ProfileMESAPI
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	c := &Client{base: o.BaseURL, hc: o.HTTPClient, ua: o.UserAgent, o: o}
	if c.hc == nil {
		c.hc = NewHTTPClient(nil)
	}
	if c.ua == "" {
		c.ua = "docbridge"
	}
	return c
}

// IdleConnsPerHost is how many idle connections the client of
// NewHTTPClient keeps to one MES host: the most requests a caller may keep
// in flight to it with every connection reused (keep-alive) from one
// request to the next.
const IdleConnsPerHost = 64

// NewHTTPClient returns the HTTP client a Client uses by default: dial and
// TLS handshake time out after 10 s, response headers after 60 s once the
// request is written, and there is no overall timeout because bodies can be
// hundreds of megabytes (callers bound a delivery with its ctx). Redirects
// are not followed: a redirected POST would lose its body. No proxy is used
// (libraries read no environment); pass a client of your own for one. tc, if
// not nil, is the TLS configuration (client certificates, roots).
func NewHTTPClient(tc *tls.Config) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		DialContext:           d.DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2 * IdleConnsPerHost,
		MaxIdleConnsPerHost:   IdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		WriteBufferSize:       copyBufSize,
	}
	return &http.Client{
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Deliver sends one document for the paired patient p and returns what MES
// said of it. It dispatches on d.Kind: a measurement goes as one Mesures
// transaction Bundle (measure.go), an appointment to the Agenda API
// (appointment.go: POST, or a conditional PUT on its identifier for a
// replacement) — content is not read for either —, a document with the
// Client's profile. For a create or a replace it POSTs
// the DocumentReference (mes-api) or the ITI-65 transaction bundle
// (pdsm-iti65), streaming content (the exact bytes whose size and SHA-1 d
// carries) as base64 into the body; it reads content to d.Size bytes and
// does not close it. For a delete it sends the profile's delete request
// (wire.go) and ignores content (which may be nil).
//
// Deliver blocks until MES has answered or ctx is done. Every error is a
// *docbridge.Error: MESUnavailable (network, timeout, ctx done, 408, 425,
// 429, 5xx; RetryAfter set from Retry-After), PairingRevoked (401, or 403
// saying the token or pairing is gone, or p.Revoked), MESRejected (other
// 4xx; the message carries MES's diagnostics without patient data),
// MissingINS or MissingMetadata (d cannot be sent), or Internal (content
// unreadable or not matching d.Size/d.SHA1, wrapping ErrContentMismatch:
// then MES never got a complete request; or a profile the Client does not
// know). A 2xx with MES's duplicate signal is a Receipt with Duplicate set,
// not an error. When MES answered with an error, the Receipt returned with
// it carries MES's HTTP status and request id (no MES id); otherwise it is
// empty.
func (c *Client) Deliver(ctx context.Context, d *docbridge.Document, content io.Reader, p docbridge.Pairing) (docbridge.Receipt, error) {
	if err := checkPairing(d, p); err != nil {
		return docbridge.Receipt{}, err
	}
	switch d.Kind {
	case docbridge.KindDocument:
	case docbridge.KindMeasurement:
		return c.deliverMeasurement(ctx, d, p)
	case docbridge.KindAppointment:
		return c.deliverAppointment(ctx, d, p)
	default:
		return docbridge.Receipt{}, docbridge.Errorf(docbridge.Internal, "document %s is of kind %q, which this MES client does not send", d.UniqueID, d.Kind)
	}
	switch c.o.Profile {
	case ProfileMESAPI:
	case ProfilePDSm:
		return c.deliverPDSm(ctx, d, content, p)
	default:
		return docbridge.Receipt{}, docbridge.Errorf(docbridge.Internal, "unknown MES profile %q (mes-api or pdsm-iti65); check mes.profile", c.o.Profile)
	}
	if d.Action == docbridge.Delete {
		return c.delete(ctx, d, p)
	}
	if d.Patient.INS == "" {
		return docbridge.Receipt{}, docbridge.Errorf(docbridge.MissingINS, "document %s has no INS for the subject", d.UniqueID)
	}
	e, err := newEnvelope(d, &p)
	if err != nil {
		return docbridge.Receipt{}, err
	}
	req, resp, reqID, err := c.stream(ctx, documentURL(c.base), e, content, p, func(h http.Header) { h.Set("Prefer", preferMinimal) })
	if err != nil {
		return docbridge.Receipt{}, err
	}
	return receipt(req, resp, reqID, newRedactor(d, &p))
}

// stream POSTs e to url with p's token, reading content once into the body,
// with the exact Content-Length; header, if set, adds headers. On success
// the caller reads and closes resp.Body. Errors are *docbridge.Error: the
// content's own (Internal: unreadable or not matching, whatever MES
// answered: it never got a complete body), or MESUnavailable for a failed
// round trip.
func (c *Client) stream(ctx context.Context, url string, e *envelope, content io.Reader, p docbridge.Pairing, header func(http.Header)) (*http.Request, *http.Response, string, error) {
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, pr)
	if err != nil {
		return nil, nil, "", docbridge.Wrap(docbridge.Internal, "build the MES request; check the MES base URL", err)
	}
	req.ContentLength = e.length()
	reqID := newRequestID()
	setHeaders(req.Header, p.AccessToken, reqID, c.ua)
	req.Header.Set("Content-Type", mediaFHIRJSON)
	if header != nil {
		header(req.Header)
	}

	// The writer goroutine is owned here: it ends when the body is written,
	// when the content fails its checks, or when pr is closed below.
	var werr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		werr = e.writeTo(pw, content)
		pw.CloseWithError(werr)
	}()
	resp, err := c.hc.Do(req)
	pr.CloseWithError(errRequestDone)
	<-done

	var contentErr *docbridge.Error
	if errors.As(werr, &contentErr) {
		// The content failed its checks or could not be read: whatever MES
		// answered, it did not get this document.
		if resp != nil {
			resp.Body.Close()
		}
		return nil, nil, reqID, werr
	}
	if err != nil {
		return nil, nil, reqID, transportError(e.uniqueID, err)
	}
	return req, resp, reqID, nil
}

// delete sends the delete request of d.
func (c *Client) delete(ctx context.Context, d *docbridge.Document, p docbridge.Pairing) (docbridge.Receipt, error) {
	if d.UniqueID == "" {
		return docbridge.Receipt{}, docbridge.Errorf(docbridge.MissingMetadata, "delete without the uniqueId of the document to delete")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, deleteURL(c.base, d.UniqueID), nil)
	if err != nil {
		return docbridge.Receipt{}, docbridge.Wrap(docbridge.Internal, "build the MES request; check the MES base URL", err)
	}
	reqID := newRequestID()
	setHeaders(req.Header, p.AccessToken, reqID, c.ua)
	resp, err := c.hc.Do(req)
	if err != nil {
		return docbridge.Receipt{}, transportError(d.UniqueID, err)
	}
	return receipt(req, resp, reqID, newRedactor(d, &p))
}

// checkPairing refuses to send with a pairing that cannot carry d.
func checkPairing(d *docbridge.Document, p docbridge.Pairing) error {
	if p.Revoked {
		return docbridge.Errorf(docbridge.PairingRevoked, "pairing %s is revoked; document %s not sent", p.ID, d.UniqueID)
	}
	if p.AccessToken == "" || p.MESPatient == "" {
		return docbridge.Errorf(docbridge.Internal, "pairing %s has no access token or no MES patient id", p.ID)
	}
	if d.UniqueID == "" {
		return docbridge.Errorf(docbridge.MissingMetadata, "document has no uniqueId")
	}
	if !p.Covers(d.Kind) {
		return docbridge.Errorf(docbridge.ScopeMissing, "pairing %s does not cover %ss (scope %q); %s not sent", p.ID, d.Kind, d.Kind.Scope(), d.UniqueID)
	}
	return nil
}

// errRequestDone closes the body pipe once the round trip is over, so that
// the writer goroutine stops if the transport stopped reading.
var errRequestDone = errors.New("mes: request finished")

// newRequestID returns a random UUID (version 4) for X-Request-Id.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
