package fhirhttp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
)

// Defaults of Options.
const (
	DefaultMaxBodyBytes = 128 << 20 // a FHIR JSON body: what convert/fhir reads
	DefaultMaxPDFBytes  = 512 << 20 // a PDF posted to /pdf
	DefaultReadTimeout  = 10 * time.Minute
)

// Options configure a Server.
type Options struct {
	// Name is the intake's name in the store and logs; "" means "fhir".
	Name string
	// Addr is the TCP address to listen on. Ignored when Listener is set.
	Addr string
	// Listener, when set, is used instead of listening on Addr (tests);
	// Run closes it.
	Listener net.Listener
	// TLS, when set, makes the endpoint HTTPS. With ClientCAs and a
	// ClientAuth of VerifyClientCertIfGiven or stronger, a verified client
	// certificate authenticates a request.
	TLS *tls.Config
	// Tokens are the accepted bearer tokens, each "token" or "name token":
	// a named token's name is the Envelope.Sender of what it posts (a
	// client certificate's is its subject's common name). At least one
	// token or client certificates must be configured: the intake is never
	// open.
	Tokens []string
	// Sink stores and converts what is posted; required.
	Sink docbridge.Sink
	// Status answers GET /status/<id>; required.
	Status StatusLookup
	// MaxBodyBytes bounds a FHIR JSON body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxPDFBytes bounds a PDF posted to /pdf; 0 means DefaultMaxPDFBytes.
	MaxPDFBytes int64
	// ReadTimeout bounds the reading of one request, body included; 0
	// means DefaultReadTimeout (a 512 MB upload at 1 MB/s).
	ReadTimeout time.Duration
	Log         zerolog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is the FHIR intake: an HTTP(S) endpoint that stores what is
// posted through a docbridge.Sink and answers 202 only once it is durable.
// Create it with New, serve it with Run; it is also an http.Handler.
type Server struct {
	o    Options
	ln   net.Listener
	auth auth
}

// New checks the options and, unless Options.Listener is set, listens on
// Addr, so that the port is bound before Run. Errors: a missing Sink,
// Status or address, no credential configured, or an address that cannot
// be listened on.
func New(o Options) (*Server, error) {
	switch {
	case o.Sink == nil:
		return nil, errors.New("fhirhttp: the intake needs a Sink")
	case o.Status == nil:
		return nil, errors.New("fhirhttp: the intake needs a StatusLookup")
	}
	a := newAuth(o.Tokens, o.TLS)
	if !a.configured() {
		return nil, errors.New("fhirhttp: the intake needs bearer tokens or client certificates (TLS with client CAs): it is never open")
	}
	if o.Name == "" {
		o.Name = "fhir"
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxPDFBytes <= 0 {
		o.MaxPDFBytes = DefaultMaxPDFBytes
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	ln := o.Listener
	if ln == nil {
		if o.Addr == "" {
			return nil, errors.New("fhirhttp: the intake needs an address to listen on")
		}
		var err error
		if ln, err = net.Listen("tcp", o.Addr); err != nil {
			return nil, fmt.Errorf("fhirhttp: listen on %s: %w", o.Addr, err)
		}
	}
	if o.TLS != nil {
		ln = tls.NewListener(ln, o.TLS)
	}
	return &Server{o: o, ln: ln, auth: a}, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close releases the listener of a server that will not Run.
func (s *Server) Close() error { return s.ln.Close() }

// Run serves until ctx is done, then stops accepting and gives the
// requests in flight 30 s to be stored and answered. It closes the
// listener. It returns nil on a clean stop and an error when serving
// fails.
func (s *Server) Run(ctx context.Context) error {
	if s.o.TLS == nil && !isLoopback(s.ln.Addr()) {
		s.o.Log.Warn().Str("intake", s.o.Name).Msg("FHIR intake without TLS on a non-loopback address: bearer tokens travel in clear; put it behind a TLS proxy or configure fhir.tls")
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.o.ReadTimeout,
		WriteTimeout:      s.o.ReadTimeout + time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(logWriter{s.o.Log, s.o.Name}, "", 0),
	}
	s.o.Log.Info().Str("intake", s.o.Name).Str("addr", s.ln.Addr().String()).Bool("tls", s.o.TLS != nil).Msg("FHIR intake started")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("fhirhttp: serve on %s: %w", s.ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("fhirhttp: serve on %s: %w", s.ln.Addr(), err)
	}
	s.o.Log.Info().Str("intake", s.o.Name).Msg("FHIR intake stopped")
	return nil
}

// ServeHTTP authenticates the request, then routes it:
//
//	POST /                    an ITI-65 transaction Bundle (or any input below)
//	POST /Bundle              a FHIR document Bundle (or a transaction Bundle)
//	POST /DocumentReference   an ITI-105 DocumentReference, its content in attachment.data
//	POST /Appointment         an Appointment for the patient's MES agenda
//	POST /pdf                 a PDF with its sidecar, multipart/form-data (see doc.go)
//	GET  /status/<id>         what became of input <id>
//
// Every error is an OperationOutcome.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sender, why := s.auth.check(r)
	if why != "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="docbridge"`)
		fail(w, http.StatusUnauthorized, "", "login", why)
		return
	}
	r = authenticated(r, sender)
	path := r.URL.Path
	switch {
	case path == "/" || path == "/Bundle" || path == "/DocumentReference" || path == "/Appointment" || path == "/Observation":
		if !allow(w, r, http.MethodPost) {
			return
		}
		s.postFHIR(w, r)
	case path == "/pdf":
		if !allow(w, r, http.MethodPost) {
			return
		}
		s.postPDF(w, r)
	case strings.HasPrefix(path, "/status/"):
		if !allow(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		s.serveStatus(w, r)
	default:
		fail(w, http.StatusNotFound, "", "not-found",
			"no such endpoint: POST /, /Bundle, /DocumentReference, /Appointment, /Observation or /pdf, GET /status/<id>")
	}
}

// allow answers 405 unless the request's method is one of methods.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	fail(w, http.StatusMethodNotAllowed, "", "not-supported", r.Method+" is not allowed here; use "+strings.Join(methods, " or "))
	return false
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// logWriter carries net/http's own messages (TLS handshake failures, bad
// requests) to the log. They name peers, never content.
type logWriter struct {
	log  zerolog.Logger
	name string
}

func (l logWriter) Write(p []byte) (int, error) {
	l.log.Warn().Str("intake", l.name).Msg(strings.TrimSpace(string(p)))
	return len(p), nil
}
