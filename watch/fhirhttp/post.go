package fhirhttp

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"path"
	"strings"
	"unicode"

	"github.com/docbridge/docbridge"
)

// peekSize is how much of a FHIR body is looked at for its resourceType
// before it is stored.
const peekSize = 64 << 10

// postFHIR takes a FHIR JSON body. Its resourceType, when the first
// 64 KiB give it, must suit the path (a Bundle at / and /Bundle, a
// DocumentReference at /DocumentReference, an Appointment at
// /Appointment): a mismatch is answered 400
// and nothing is stored. What the input holds is then the converter's
// business.
func (s *Server) postFHIR(w http.ResponseWriter, r *http.Request) {
	if !fhirJSON(r.Header.Get("Content-Type")) {
		fail(w, http.StatusUnsupportedMediaType, docbridge.UnsupportedFormat, "",
			"the body must be FHIR JSON (Content-Type: application/fhir+json); a PDF goes to POST /pdf")
		return
	}
	if r.ContentLength > s.o.MaxBodyBytes {
		s.tooLarge(w, r, s.o.MaxBodyBytes)
		return
	}
	body := &limited{r: r.Body, max: s.o.MaxBodyBytes}
	br := bufio.NewReaderSize(body, peekSize)
	head, _ := br.Peek(peekSize) // a short or failed read is Accept's to report
	if rt := resourceType(head); rt != "" && !suits(r.URL.Path, rt) {
		fail(w, http.StatusBadRequest, docbridge.UnsupportedFormat, "",
			fmt.Sprintf("a resource of type %s is not posted to %s: POST a transaction or document Bundle to / or /Bundle, a DocumentReference to /DocumentReference, an Appointment to /Appointment", clip(rt, 40), r.URL.Path))
		return
	}
	s.accept(w, r, &docbridge.Envelope{
		Intake: s.o.Name, Source: peer(r), MessageID: requestID(r), ReceivedAt: s.o.Now(), Body: br, Sender: senderOf(r),
	}, body)
}

// postPDF takes a PDF and its sidecar as multipart/form-data: an optional
// part "sidecar" (the JSON or YAML of convert/pdf.Sidecar, at most
// docbridge.MaxSidecar bytes), then the part "file" (the PDF; its file
// name may carry the metadata through a filename pattern). The PDF is
// streamed into the store, never held in memory. Parts after "file" are
// not read.
func (s *Server) postPDF(w http.ResponseWriter, r *http.Request) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		fail(w, http.StatusUnsupportedMediaType, docbridge.UnsupportedFormat, "",
			"POST /pdf takes multipart/form-data: a part \"sidecar\" (optional, first), then a part \"file\" with the PDF")
		return
	}
	limit := s.o.MaxPDFBytes + docbridge.MaxSidecar + 1<<20 // the parts' headers and boundaries
	if r.ContentLength > limit {
		s.tooLarge(w, r, s.o.MaxPDFBytes)
		return
	}
	mr := multipart.NewReader(&limited{r: r.Body, max: limit}, params["boundary"])
	var sidecar []byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			fail(w, http.StatusBadRequest, docbridge.MissingMetadata, "required", "the form has no part \"file\" holding the PDF")
			return
		}
		if err != nil {
			fail(w, http.StatusBadRequest, docbridge.Malformed, "", "the body is not valid multipart/form-data")
			return
		}
		switch part.FormName() {
		case "sidecar":
			if sidecar != nil {
				fail(w, http.StatusBadRequest, docbridge.Malformed, "", "the form has two parts \"sidecar\"")
				return
			}
			b, err := io.ReadAll(io.LimitReader(part, docbridge.MaxSidecar+1))
			switch {
			case err != nil:
				fail(w, http.StatusBadRequest, docbridge.Malformed, "", "the part \"sidecar\" cannot be read")
				return
			case len(b) > docbridge.MaxSidecar:
				fail(w, http.StatusRequestEntityTooLarge, docbridge.TooLarge, "",
					fmt.Sprintf("the sidecar is over %d bytes", docbridge.MaxSidecar))
				return
			}
			sidecar = b
		case "file":
			file := &limited{r: part, max: s.o.MaxPDFBytes}
			s.accept(w, r, &docbridge.Envelope{
				Intake: s.o.Name, Source: fileName(part.FileName()), MessageID: requestID(r),
				ReceivedAt: s.o.Now(), Body: file, Sidecar: sidecar, Sender: senderOf(r),
			}, file)
			return
		default:
			fail(w, http.StatusBadRequest, docbridge.Malformed, "",
				fmt.Sprintf("the form part %q is not one POST /pdf takes (sidecar, then file)", clip(part.FormName(), 40)))
			return
		}
	}
}

// accept hands the envelope to the sink and answers: 202 once it is
// stored (Location and Content-Location: its status URL), 4xx with the
// reason when the sink refused the input (stored, state failed), 413 over
// the limit, 503 when it cannot be stored now.
func (s *Server) accept(w http.ResponseWriter, r *http.Request, e *docbridge.Envelope, body *limited) {
	log := s.o.Log.With().Str("intake", s.o.Name).Str("peer", peer(r)).Str("path", r.URL.Path).Logger()
	e.Waiting = true
	acc, err := s.o.Sink.Accept(r.Context(), e)
	switch {
	case body.over:
		s.tooLarge(w, r, body.max)
		return
	case docbridge.ReasonOf(err) == docbridge.TooLarge:
		log.Warn().Str("reason", string(docbridge.TooLarge)).Msg("input refused before storing")
		fail(w, http.StatusRequestEntityTooLarge, docbridge.TooLarge, "", docbridge.MessageOf(err))
		return
	case err != nil:
		log.Error().Err(err).Msg("cannot store the input now")
		w.Header().Set("Retry-After", "10")
		fail(w, http.StatusServiceUnavailable, docbridge.Internal, "",
			"the input could not be stored now and nothing was kept: send it again later")
		return
	}
	loc := statusPath(acc.ID)
	w.Header().Set("Location", loc)
	w.Header().Set("Content-Location", loc)
	if acc.State == docbridge.Failed {
		log.Warn().Int64("input", acc.ID).Str("reason", string(acc.Reason)).Msg("input refused")
		writeOutcome(w, statusOf(acc.Reason), reasonIssue("error", acc.Reason,
			fmt.Sprintf("%s (input %d, kept for inspection)", acc.Message, acc.ID)))
		return
	}
	var st *InputStatus
	if got, err := s.o.Status.InputStatus(r.Context(), acc.ID); err == nil {
		st = &got
	} else {
		log.Warn().Err(err).Int64("input", acc.ID).Msg("cannot read the new input's status; answering without its documents")
	}
	log.Info().Int64("input", acc.ID).Str("state", string(acc.State)).Bool("duplicate", acc.Duplicate).Int64("bytes", acc.Size).Msg("input accepted")
	writeOutcome(w, http.StatusAccepted, acceptedOutcome(acc, st)...)
}

// tooLarge answers 413 for a body over limit bytes.
func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request, limit int64) {
	s.o.Log.Warn().Str("intake", s.o.Name).Str("peer", peer(r)).Str("reason", string(docbridge.TooLarge)).Msg("body over the size limit; nothing stored")
	w.Header().Set("Connection", "close")
	fail(w, http.StatusRequestEntityTooLarge, docbridge.TooLarge, "",
		fmt.Sprintf("the body is over the limit of %d bytes; nothing was stored", limit))
}

// limited reads at most max bytes from r; a body that goes on fails the
// read with errTooBig and sets over.
type limited struct {
	r    io.Reader
	max  int64
	n    int64
	over bool
}

var errTooBig = errors.New("fhirhttp: the body is over the size limit")

func (l *limited) Read(p []byte) (int, error) {
	if l.over {
		return 0, errTooBig
	}
	if rest := l.max - l.n; int64(len(p)) > rest+1 {
		p = p[:rest+1] // one byte more than allowed tells a body that goes on
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		l.over = true
		return n - int(l.n-l.max), errTooBig
	}
	return n, err
}

// resourceType returns the top-level resourceType of a JSON object whose
// beginning is head, or "" when head does not show it.
func resourceType(head []byte) string {
	dec := json.NewDecoder(bytes.NewReader(head))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return ""
		}
		if k == "resourceType" {
			v, err := dec.Token()
			if s, ok := v.(string); ok && err == nil {
				return s
			}
			return ""
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return ""
		}
	}
	return ""
}

// suits reports whether a resource of type rt may be posted to path.
func suits(path, rt string) bool {
	switch path {
	case "/DocumentReference":
		return rt == "DocumentReference"
	case "/Appointment":
		return rt == "Appointment"
	default:
		return rt == "Bundle"
	}
}

// fhirJSON reports the media types of FHIR JSON.
func fhirJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/fhir+json" || mt == "application/json" || mt == "application/json+fhir")
}

// peer is the client's address, without the port.
func peer(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// requestID is the client's X-Request-Id, when it is a short printable
// token, kept as the input's message id.
func requestID(r *http.Request) string {
	id := strings.TrimSpace(r.Header.Get("X-Request-Id"))
	if len(id) > 128 || strings.IndexFunc(id, func(c rune) bool { return c < '!' || c > '~' }) >= 0 {
		return ""
	}
	return id
}

// fileName is the base name of an uploaded file, without control
// characters; the PDF converter reads filename patterns in it.
func fileName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(c rune) rune {
		if unicode.IsControl(c) {
			return -1
		}
		return c
	}, name)
	if name == "." || name == "/" {
		return ""
	}
	return clip(name, 255)
}

// clip shortens s for a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
