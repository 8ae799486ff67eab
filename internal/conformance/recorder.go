package conformance

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"time"
)

// CaseHeader is the request header the Recorder adds to every request with
// the id of the case that sends it: MES's team can find a case's requests
// in their logs, and docbridge's simulator injects the faults a case asks
// for by it.
const CaseHeader = "X-Docbridge-Conformance-Case"

// maxCapture bounds how much of one request or answer body is kept.
const maxCapture = 256 << 10

// Recorder is an http.RoundTripper that keeps every request it carries and
// its answer, for the case Run is running. It keeps them raw, in
// memory: redaction happens when the Report is built (Redactor), once every
// secret of the run is known. It is safe for concurrent use.
type Recorder struct {
	next http.RoundTripper
	now  func() time.Time

	mu      sync.Mutex
	caseID  string
	records []*record
}

// record is one raw exchange.
type record struct {
	started  time.Time
	duration time.Duration
	method   string
	url      string
	reqHead  http.Header
	reqBody  *capture
	status   int
	respHead http.Header
	respBody []byte
	respSize int64
	err      string
}

// NewRecorder returns a Recorder sending requests through next
// (http.DefaultTransport when nil).
func NewRecorder(next http.RoundTripper) *Recorder {
	if next == nil {
		next = http.DefaultTransport
	}
	return &Recorder{next: next, now: time.Now}
}

// begin starts recording for the case id: the requests from now on are
// that case's, until end.
func (r *Recorder) begin(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.caseID, r.records = id, nil
}

// end returns what was recorded since begin and stops recording.
func (r *Recorder) end() []*record {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.records
	r.caseID, r.records = "", nil
	return out
}

// lastStatus returns the HTTP status of the last answer recorded for the
// running case, or 0.
func (r *Recorder) lastStatus() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.records) == 0 {
		return 0
	}
	return r.records[len(r.records)-1].status
}

// RoundTrip sends req with CaseHeader set and records it with its answer.
// The answer's body is read in full (MES's answers are small, and the test
// book's documents too) and handed back unchanged, a read error included.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	id := r.caseID
	r.mu.Unlock()
	req = req.Clone(req.Context())
	if id != "" {
		req.Header.Set(CaseHeader, id)
	}
	rec := &record{started: r.now(), method: req.Method, url: req.URL.String(), reqHead: req.Header.Clone(), reqBody: &capture{}}
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = &teeBody{rc: req.Body, c: rec.reqBody}
	}
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		rec.err = err.Error()
	} else {
		body, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		var rest io.Reader = bytes.NewReader(body)
		if rerr != nil { // the client sees the answer cut short, as it was
			rest = io.MultiReader(rest, errReader{rerr})
		}
		resp.Body = io.NopCloser(rest)
		rec.status, rec.respHead, rec.respSize = resp.StatusCode, resp.Header.Clone(), int64(len(body))
		rec.respBody = body[:min(len(body), maxCapture)]
		if rerr != nil {
			rec.err = "reading the answer: " + rerr.Error()
		}
	}
	rec.duration = r.now().Sub(rec.started)
	r.mu.Lock()
	if id != "" && r.caseID == id {
		r.records = append(r.records, rec)
	}
	r.mu.Unlock()
	return resp, err
}

// capture keeps the first maxCapture bytes written to it, and counts all.
type capture struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	size int64
}

func (c *capture) Write(p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.size += int64(len(p))
	if room := maxCapture - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
}

func (c *capture) bytes() ([]byte, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.buf.Bytes()), c.size
}

// teeBody copies what the transport reads of a request body to a capture.
type teeBody struct {
	rc io.ReadCloser
	c  *capture
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	if n > 0 {
		t.c.Write(p[:n])
	}
	return n, err
}

func (t *teeBody) Close() error { return t.rc.Close() }

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
