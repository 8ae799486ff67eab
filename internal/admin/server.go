package admin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/httpserve"
	"github.com/docbridge/docbridge/internal/metrics"
	"github.com/docbridge/docbridge/internal/operate"
	"github.com/docbridge/docbridge/internal/store"
)

// Store is what the console reads and changes. *store.Store implements it.
type Store interface {
	Document(ctx context.Context, id int64) (store.DocRow, error)
	Documents(ctx context.Context, f store.Filter) ([]store.DocRow, error)
	History(ctx context.Context, docID int64) ([]store.Event, error)
	Transition(ctx context.Context, t store.Transition) error
	Input(ctx context.Context, id int64) (store.Input, error)
	OtherVersions(ctx context.Context, row store.DocRow) ([]store.OtherVersion, error)
	Pairings(ctx context.Context) ([]docbridge.Pairing, error)
	PairingsByINS(ctx context.Context, ins string) ([]docbridge.Pairing, error)
	Intakes(ctx context.Context) ([]string, error)
	metrics.Store
}

// AuditFunc records an action a person took that changes nothing in the
// store (a sign-in, a search by patient key). actor is "user:NAME"; docID
// may be 0; message carries no patient data.
type AuditFunc func(ctx context.Context, actor string, docID int64, message string) error

// Options configures a Server. Store is required.
type Options struct {
	Store Store
	// Users are the local users; a user without a password hash can only
	// be named by the trusted header.
	Users []User
	// TrustedHeader, when set, names the header in which a reverse proxy
	// in TrustedProxies gives the signed-in user's name.
	TrustedHeader  string
	TrustedProxies []netip.Prefix
	// Addr is where Run listens ("127.0.0.1:8080").
	Addr string
	// TLSCert and TLSKey, when set, make Run serve HTTPS (and the session
	// cookie Secure).
	TLSCert, TLSKey string
	// SessionTTL is how long a session lasts; 0 means 8 hours.
	SessionTTL time.Duration
	// Throttle locks the password form after failed sign-ins; the zero
	// value has the defaults ThrottleOptions states.
	Throttle ThrottleOptions
	// Metrics, when not nil, is served on /metrics.
	Metrics *metrics.Metrics
	// MESCheck, when not nil, tells whether MES answers (see MESProbe);
	// /readyz and the dashboard call it.
	MESCheck func(ctx context.Context) error
	// Stall sets the stall signals' thresholds.
	Stall metrics.Stall
	// Reconverter, when not nil, lets operators convert again the input of
	// a document stopped for missing-metadata, unmapped-code or
	// profile-invalid ("Convert again" on its page).
	Reconverter operate.Reconverter
	// Audit records sign-ins and searches; nil records nothing.
	Audit AuditFunc
	Log   zerolog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is the admin console, metrics and health endpoints. It is safe
// for concurrent use.
type Server struct {
	o        Options
	users    map[string]User
	sessions *sessions
	throttle *throttle
	pages    *pages
	mux      *http.ServeMux
}

// New checks o and returns a Server; it does no I/O.
func New(o Options) (*Server, error) {
	if o.Store == nil {
		return nil, errors.New("admin: no store")
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 8 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Audit == nil {
		o.Audit = func(context.Context, string, int64, string) error { return nil }
	}
	users, err := indexUsers(o.Users)
	if err != nil {
		return nil, err
	}
	pg, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{o: o, users: users, sessions: newSessions(o.SessionTTL, o.Now),
		throttle: newThrottle(o.Throttle, o.Now), pages: pg}
	s.routes()
	return s, nil
}

// routes registers every endpoint.
func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /readyz", s.readyz)
	if s.o.Metrics != nil {
		m.Handle("GET /metrics", s.o.Metrics.Handler())
	}
	m.Handle("GET /static/", http.FileServerFS(staticFS))
	m.HandleFunc("GET /login", s.loginPage)
	m.HandleFunc("POST /login", s.login)
	m.Handle("POST /logout", s.authed(viewer, s.logout))
	m.Handle("GET /{$}", s.authed(viewer, s.dashboard))
	m.Handle("GET /documents", s.authed(viewer, s.documentList))
	m.Handle("POST /documents", s.authed(viewer, s.documentList))
	m.Handle("GET /documents/{id}", s.authed(viewer, s.documentPage))
	m.Handle("POST /documents/{id}/{action}", s.authed(operator, s.act))
	m.Handle("GET /pairings", s.authed(viewer, s.pairingList))
	s.mux = m
}

// Handler returns the console's handler, for Run or a test server.
func (s *Server) Handler() http.Handler {
	return securityHeaders(s.mux)
}

// securityHeaders sets the headers every answer carries: no framing, no
// sniffing, no referrer, scripts from nowhere.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'none'; frame-ancestors 'none'; form-action 'self'")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// Run listens on Options.Addr and serves until ctx is done, then shuts
// down, waiting up to 5 s for requests in flight. It serves HTTPS when
// TLSCert is set. It returns nil on a clean stop and an error when it
// cannot listen or serve.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.o.Addr)
	if err != nil {
		return fmt.Errorf("admin: listen on %s: %w", s.o.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on a listener of the caller's; it closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.o.Log.Info().Str("addr", ln.Addr().String()).Bool("tls", s.o.TLSCert != "").Msg("admin console listening")
	if err := httpserve.Serve(ctx, ln, s.Handler(), s.o.TLSCert, s.o.TLSKey); err != nil {
		return fmt.Errorf("admin: serve: %w", err)
	}
	return nil
}

// secure reports whether cookies must be Secure.
func (s *Server) secure() bool { return s.o.TLSCert != "" }
