package messim

import (
	"crypto/rand"
	"encoding/hex"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
)

// CodeChecker tells whether a code belongs to a national value set. The
// value set names are "JDV_J07" (type), "JDV_J06" (category), "JDV_J10"
// (format), "JDV_J02" (facilityType, and a SubmissionSet's designationType:
// JDV_J03 is not among the sets docbridge embeds, and J02 holds the TRE_R02
// and TRE_A00 codes docbridge sends there), "JDV_J04" (practiceSetting) and
// "JDV_J08" (securityLabel); system is the coding's system as sent.
// *mappings.Set satisfies it. It must be safe for concurrent use.
type CodeChecker interface {
	Contains(valueSet, system, code string) bool
}

// FaultFunc decides, for each API request before anything else, whether to
// fail it: ok true answers status with an OperationOutcome (and
// Retry-After: 1 for 429 and 503). It may block to simulate a slow MES,
// and should then honour r.Context(). It must be safe for concurrent use.
type FaultFunc func(r *http.Request) (status int, ok bool)

// FailFirst returns a FaultFunc that answers status to the first n document
// requests (see Requests) and lets the rest through.
func FailFirst(n int, status int) FaultFunc {
	var seen atomic.Int64
	return func(r *http.Request) (int, bool) {
		if !isDocumentRequest(r) {
			return 0, false
		}
		return status, seen.Add(1) <= int64(n)
	}
}

// LoseFirst returns a LoseFunc that loses the answers to the first n
// document requests (see Requests), after the simulator has handled them.
func LoseFirst(n int) LoseFunc {
	var seen atomic.Int64
	return func(r *http.Request) bool {
		return isDocumentRequest(r) && seen.Add(1) <= int64(n)
	}
}

// LoseFunc decides, for each API request that no FaultFunc failed, whether
// its answer is lost: the simulator handles the request in full (a
// document is committed, deleted or superseded as it would be), then
// aborts the connection without answering, as when a reset or a timeout
// loses MES's answer after MES committed. It must be safe for concurrent
// use.
type LoseFunc func(r *http.Request) bool

// Options configures a Server.
type Options struct {
	// Codes checks codes against their value sets; nil skips the checks.
	Codes CodeChecker
	// MaxBodyBytes bounds a request body; 0 means 512 MiB. Bigger bodies
	// answer 413.
	MaxBodyBytes int64
	// Faults, if set, can fail requests on purpose.
	Faults FaultFunc
	// LoseAnswers, if set, can lose answers on purpose, after the request
	// was handled.
	LoseAnswers LoseFunc
	// Latency, if positive, is added to every request before it is
	// handled, as the round trip and server time of a remote MES; Jitter
	// spreads it uniformly over Latency ± Jitter. A request whose context
	// ends meanwhile (the server shuts down) is not handled.
	Latency, Jitter time.Duration
	// Dir, if set, is where document contents are kept (one file per MES
	// id); otherwise they are kept in memory. The index is always in memory.
	Dir string

	// Pairing (oauth.go). Clients maps the OAuth2 client ids the simulator
	// knows to the service name its consent page shows; nil accepts any
	// client id, shown as is. The lifetimes of access tokens, refresh
	// tokens and authorization codes default to 1 h, 30 days and 1 min;
	// tests shorten them, with Now, to make tokens expire.
	Clients         map[string]string
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	CodeTTL         time.Duration
	// Now is the clock of token expiry; nil means time.Now.
	Now func() time.Time
}

// Stored is what the simulator holds of one document (one uniqueId).
type Stored struct {
	UniqueID    string
	MESID       string
	Patient     string // the MES patient id it was filed under
	SHA1        string // hex, of the decoded content
	Size        int64
	TypeSystem  string
	TypeCode    string
	ContentType string
	Status      string   // "current", "superseded" or "deleted"
	Replaces    string   // uniqueId of the version it replaced, if any
	Profile     string   // the profile it came through: "mes-api" or "pdsm-iti65"
	History     []string // what happened to it: "create" or "replace", then "resend", "superseded", "delete", "delete-again", "deleted-with-replacement"
}

// Server is the simulated MES Documents API. It is safe for concurrent use.
type Server struct {
	o       Options
	handler http.Handler

	mu     sync.Mutex
	tokens map[string]*grant
	// pairing (oauth.go, consent.go)
	identities   map[string]docbridge.Patient // by MES id
	requestsAuth map[string]*authRequest      // consent pages shown, by request id
	codes        map[string]*authCode
	refresh      map[string]*refreshGrant
	docs         map[string]*record // by uniqueId
	byID         map[string]*record // by MES id
	order        []*record
	appts        map[string]*StoredAppointment // by identifier system|value
	apptOrder    []*StoredAppointment
	// measurements (measures.go)
	measures     []*StoredMeasurement
	measureByKey map[string]*StoredMeasurement // by patient and Observation identifier
	devices      map[string]bool               // Device keys created
	requests     int
	inFlight     int // document requests being handled
	maxInFlight  int
}

// grant is what a bearer token allows: one patient.
type grant struct {
	mesID     string
	ins       string
	insSystem string // "urn:oid:…"
	revoked   bool
	client    string // the OAuth2 client it was issued to; "" for AddPatient
	// scopes are what the patient granted; nil (AddPatient) allows all.
	scopes  []string
	expires time.Time // zero: never (AddPatient)
}

// record is one stored document.
type record struct {
	Stored
	created         time.Time
	title, creation string // attachment.title and .creation, for searches
	content         []byte // when Options.Dir is ""
	path            string // when Options.Dir is set
}

// New returns a Server with no patients and no documents.
func New(o Options) *Server {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 512 << 20
	}
	if o.AccessTokenTTL <= 0 {
		o.AccessTokenTTL = time.Hour
	}
	if o.RefreshTokenTTL <= 0 {
		o.RefreshTokenTTL = 30 * 24 * time.Hour
	}
	if o.CodeTTL <= 0 {
		o.CodeTTL = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{
		o:      o,
		tokens: map[string]*grant{},
		docs:   map[string]*record{},
		byID:   map[string]*record{},
		appts:  map[string]*StoredAppointment{},

		identities:   map[string]docbridge.Patient{},
		requestsAuth: map[string]*authRequest{},
		codes:        map[string]*authCode{},
		refresh:      map[string]*refreshGrant{},
		measureByKey: map[string]*StoredMeasurement{},
		devices:      map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{$}", s.transaction)
	mux.HandleFunc("POST /DocumentReference", s.publish)
	mux.HandleFunc("DELETE /DocumentReference", s.delete)
	mux.HandleFunc("PATCH /DocumentReference", s.patch)
	mux.HandleFunc("GET /DocumentReference", s.search)
	mux.HandleFunc("GET /Binary/{id}", s.binary)
	mux.HandleFunc("POST /Appointment", s.createAppointment)
	mux.HandleFunc("PUT /Appointment", s.updateAppointment)
	mux.HandleFunc("GET /Appointment", s.searchAppointments)
	mux.HandleFunc("/Appointment", methodNotAllowed)
	mux.HandleFunc("POST "+pathMeasures, s.measure)
	mux.HandleFunc("/DocumentReference", methodNotAllowed)
	mux.HandleFunc("/Binary/{id}", methodNotAllowed)
	s.routesPairing(mux)
	mux.HandleFunc("/", notFound)
	s.handler = s.front(mux)
	return s
}

// NewTestServer starts s = New(o) on a loopback httptest.Server that is
// closed when tb's test ends.
func NewTestServer(tb testing.TB, o Options) (*Server, *httptest.Server) {
	tb.Helper()
	s := New(o)
	ts := httptest.NewServer(s.Handler())
	tb.Cleanup(ts.Close)
	return s, ts
}

// Handler returns the HTTP handler of the API, rooted at the Documents API
// base: POST / (ITI-65 transactions), POST, DELETE, PATCH and GET
// /DocumentReference, GET /Binary/{id}, POST, PUT and GET /Appointment
// (the Agenda API, appointment.go), POST /mesures (measures.go), and the
// pairing endpoints under /oauth/ (oauth.go).
func (s *Server) Handler() http.Handler { return s.handler }

// front counts document requests and applies Options.Faults and
// Options.LoseAnswers.
func (s *Server) front(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rid := r.Header.Get("X-Request-Id")
		if rid == "" {
			rid = newID()
		}
		w.Header().Set("X-Request-Id", rid)
		if isDocumentRequest(r) {
			s.mu.Lock()
			s.requests++
			s.inFlight++
			s.maxInFlight = max(s.maxInFlight, s.inFlight)
			s.mu.Unlock()
			defer func() {
				s.mu.Lock()
				s.inFlight--
				s.mu.Unlock()
			}()
		}
		if !s.delay(r) {
			return // the client gave up
		}
		if s.o.Faults != nil {
			if st, ok := s.o.Faults(r); ok {
				h := w.Header()
				if st == http.StatusTooManyRequests || st == http.StatusServiceUnavailable {
					h.Set("Retry-After", "1")
				}
				s.fail(w, r, &problem{status: st, code: faultIssueCode(st), diag: "fault injected by the simulator"})
				return
			}
		}
		if s.o.LoseAnswers != nil && s.o.LoseAnswers(r) {
			next.ServeHTTP(httptest.NewRecorder(), r)
			panic(http.ErrAbortHandler) // the server closes the connection without an answer
		}
		next.ServeHTTP(w, r)
	})
}

// delay waits Options.Latency ± Jitter, and reports false when r's
// context ended first.
func (s *Server) delay(r *http.Request) bool {
	d := s.o.Latency
	if d <= 0 {
		return true
	}
	if j := s.o.Jitter; j > 0 {
		d += mrand.N(2*j+1) - j
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// isDocumentRequest reports whether r sends a document or changes one:
// POST, DELETE and PATCH on DocumentReference, ITI-65 transactions,
// Mesures transactions, and POST and PUT on Appointment.
func isDocumentRequest(r *http.Request) bool {
	switch {
	case r.URL.Path == "/Appointment":
		return r.Method == http.MethodPost || r.Method == http.MethodPut
	case r.URL.Path == "/DocumentReference":
		return r.Method == http.MethodPost || r.Method == http.MethodDelete || r.Method == http.MethodPatch
	case r.URL.Path == "/" || r.URL.Path == pathMeasures:
		return r.Method == http.MethodPost
	}
	return false
}

// AddPatient registers a paired patient: its MES id and its INS (insSystem
// as an OID or "urn:oid:…"). It returns a new random bearer token that
// allows documents and measurements for this patient only (whatever
// scopes docbridge's side of the pairing records). Several tokens may be
// issued for one patient.
func (s *Server) AddPatient(mesID, ins, insSystem string) (token string) {
	var b [32]byte
	rand.Read(b[:])
	token = hex.EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = &grant{mesID: mesID, ins: ins, insSystem: oidURI(insSystem)}
	return token
}

// Revoke makes token invalid, as when the patient ends the pairing: later
// requests with it answer 401 with an OperationOutcome of code "expired".
// Unknown tokens are ignored.
func (s *Server) Revoke(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.tokens[token]; g != nil {
		g.revoked = true
	}
}

// Documents returns a copy of every document received, one per uniqueId,
// in the order they were created, whatever their status.
func (s *Server) Documents() []Stored {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Stored, len(s.order))
	for i, r := range s.order {
		out[i] = r.Stored
		out[i].History = append([]string(nil), r.History...)
	}
	return out
}

// Requests returns how many document requests (POST, DELETE and PATCH on
// DocumentReference, ITI-65 transactions, POST and PUT on Appointment)
// arrived, whatever their outcome.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// MaxInFlight returns the most document requests (see Requests) the
// simulator was handling at once, latency included: how many a client
// had in flight.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

// Count returns how many distinct documents were created.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.order)
}

// authorize returns the grant of r's bearer token, or a 401 problem.
func (s *Server) authorize(r *http.Request) (grant, *problem) {
	h := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return grant{}, &problem{status: http.StatusUnauthorized, code: "login", diag: "a bearer token is required"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.tokens[token]
	switch {
	case g == nil:
		return grant{}, &problem{status: http.StatusUnauthorized, code: "security", diag: "the access token is not known"}
	case g.revoked:
		return grant{}, &problem{status: http.StatusUnauthorized, code: "expired", diag: "the access token was revoked: the pairing has ended"}
	case !g.expires.IsZero() && s.now().After(g.expires):
		return grant{}, &problem{status: http.StatusUnauthorized, code: "expired", diag: "the access token expired: refresh it"}
	}
	return *g, nil
}

func (s *Server) now() time.Time { return s.o.Now() }

// oidURI returns an OID as "urn:oid:…"; URIs are returned as they are.
func oidURI(system string) string {
	if system == "" || strings.Contains(system, ":") {
		return system
	}
	return "urn:oid:" + system
}

// newID returns a random MES id.
func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return "dr-" + hex.EncodeToString(b[:])
}
