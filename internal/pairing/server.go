package pairing

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
	"github.com/docbridge/docbridge/internal/httpserve"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/mes"
)

// OAuth is MES's side of the flow. *mes.PairingClient implements it.
type OAuth interface {
	AuthorizeURL(state, challenge string) string
	Exchange(ctx context.Context, code, verifier string) (mes.Token, error)
	Identity(ctx context.Context, accessToken string) (docbridge.Patient, error)
	Refresh(ctx context.Context, refreshToken string) (mes.Token, error)
	Revoke(ctx context.Context, token string) error
}

// Store is the pairing registry. *store.Store implements it.
type Store interface {
	Pairings(ctx context.Context) ([]docbridge.Pairing, error)
	PairingByMESPatient(ctx context.Context, mesPatient string) (docbridge.Pairing, bool, error)
	PutPairing(ctx context.Context, p docbridge.Pairing) error
}

// Options configures a Server. OAuth and Store are required.
type Options struct {
	OAuth    OAuth
	Store    Store
	Identity identity.Options // the rules the paired identity must pass
	// Addr is the listen address of Run; TLSCert and TLSKey, when set,
	// serve HTTPS (the state cookie is then Secure).
	Addr            string
	TLSCert, TLSKey string
	Log             zerolog.Logger
	Now             func() time.Time // nil means time.Now
	StateTTL        time.Duration    // how long a started pairing may take; 0 means 10 min
	ServiceName     string           // shown on docbridge's pages; "" means "docbridge"
	// StateKey is the secret the state of a started pairing is sealed
	// with (docbridge passes its token key; the sealing key is derived
	// from it). Instances sharing it can finish each other's pairings and
	// keep them across restarts; nil draws a key for this process only.
	StateKey []byte
	// Scopes are what the pairing flow asks MES for (the OAuth client's
	// scopes); a patient who grants less sees which data will not be
	// sent and is offered to pair again. Empty means documents only.
	Scopes []string
}

// Server serves GET /start and GET /callback. It is safe for concurrent
// use. It keeps nothing per started pairing: the PKCE verifier and expiry
// travel sealed in the state (see sealer), so /start cannot be flooded
// into refusing patients. Finished states are remembered until they
// expire, in this process, so each is used once.
type Server struct {
	o      Options
	sealer *sealer
	used   *usedStates
}

const stateCookie = "docbridge_pairing"

// NewServer returns a Server; it does nothing until Run or Handler is used.
func NewServer(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.StateTTL <= 0 {
		o.StateTTL = 10 * time.Minute
	}
	if o.ServiceName == "" {
		o.ServiceName = "docbridge"
	}
	return &Server{o: o, sealer: newSealer(o.StateKey), used: newUsedStates()}
}

// Handler returns the pairing endpoints: GET /start redirects the patient's
// browser to MES, GET /callback finishes the pairing.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /start", s.start)
	mux.HandleFunc("GET /callback", s.callback)
	return mux
}

// start begins a pairing: a PKCE verifier sealed with its expiry into the
// state, which is also set as a cookie that binds the flow to this
// browser, then a redirect to MES. It stores nothing.
func (s *Server) start(w http.ResponseWriter, r *http.Request) {
	verifier, challenge := mes.NewPKCE()
	state := s.sealer.seal(verifier, s.o.Now().Add(s.o.StateTTL))
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: state, Path: "/", MaxAge: int(s.o.StateTTL / time.Second),
		HttpOnly: true, Secure: s.o.TLSCert != "", SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, s.o.OAuth.AuthorizeURL(state, challenge), http.StatusFound)
}

// callback finishes a pairing: it checks state against the cookie, opens
// it (it must be sealed by this service's key and not expired) and marks
// it used (each state is used once), exchanges the code with the
// PKCE verifier, fetches the paired patient's identity, checks it and
// stores the pairing (a patient who pairs again renews their pairing).
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	state := q.Get("state")
	c, err := r.Cookie(stateCookie)
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.o.TLSCert != "", SameSite: http.SameSiteLaxMode})
	if err != nil || state == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) != 1 {
		s.o.Log.Warn().Msg("pairing callback refused: state missing or not this browser's")
		s.page(w, http.StatusBadRequest, pageNotValid)
		return
	}
	verifier, expires, err := s.sealer.open(state)
	if err != nil {
		s.o.Log.Warn().Msg("pairing callback refused: state not sealed by this service (another key, or forged)")
		s.page(w, http.StatusBadRequest, pageNotValid)
		return
	}
	now := s.o.Now()
	if now.After(expires) || !s.used.use(state, expires, now) {
		s.page(w, http.StatusBadRequest, pageExpired)
		return
	}
	if e := q.Get("error"); e != "" || q.Get("code") == "" {
		s.o.Log.Info().Str("mes_error", clip(e, 40)).Msg("pairing not granted at MES")
		s.page(w, http.StatusOK, pageRefused)
		return
	}
	pr, err := s.complete(ctx, q.Get("code"), verifier)
	if err != nil {
		reason := docbridge.ReasonOf(err)
		s.o.Log.Warn().Str("reason", string(reason)).Err(errors.New(docbridge.MessageOf(err))).Msg("pairing failed")
		status, pg := http.StatusBadGateway, pageMESFailed
		switch reason {
		case docbridge.MissingINS, docbridge.INSInvalid, docbridge.INSTestOID, docbridge.MissingTrait, docbridge.IdentityUnqualified:
			status, pg = http.StatusUnprocessableEntity, pageIdentityUnusable
		case docbridge.Internal:
			status, pg = http.StatusServiceUnavailable, pageNotRecorded
		}
		s.page(w, status, pg)
		return
	}
	s.o.Log.Info().Str("pairing", pr.ID).Strs("scopes", pr.Scopes).Msg("patient paired")
	if missing := refusedScopes(s.o.Scopes, pr); len(missing) > 0 {
		s.page(w, http.StatusOK, pagePairedPartly(missing))
		return
	}
	s.page(w, http.StatusOK, pagePaired)
}

// complete exchanges the code and stores the checked pairing.
func (s *Server) complete(ctx context.Context, code, verifier string) (docbridge.Pairing, error) {
	tok, err := s.o.OAuth.Exchange(ctx, code, verifier)
	if err != nil {
		return docbridge.Pairing{}, fmt.Errorf("exchange code: %w", err)
	}
	patient, err := s.o.OAuth.Identity(ctx, tok.AccessToken)
	if err == nil && tok.MESPatient == "" {
		err = docbridge.Errorf(docbridge.MESRejected, "MES's token answer names no patient")
	}
	if err == nil {
		if probs := identity.Check(patient, s.o.Identity); len(probs) > 0 {
			err = docbridge.Errorf(probs[0].Code, "the paired identity fails its check: %s", probs[0].Message)
		}
	}
	if err != nil {
		// No pairing is stored: end the grant at MES too, best effort.
		if tok.RefreshToken != "" {
			s.o.OAuth.Revoke(ctx, tok.RefreshToken)
		}
		return docbridge.Pairing{}, err
	}
	prev, found, err := s.o.Store.PairingByMESPatient(ctx, tok.MESPatient)
	if err != nil {
		return docbridge.Pairing{}, docbridge.Wrap(docbridge.Internal, "find the previous pairing", err)
	}
	p := docbridge.Pairing{ID: newPairingID(), MESPatient: tok.MESPatient, Patient: patient,
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, ExpiresAt: tok.ExpiresAt, Scopes: tok.Scopes()}
	if found {
		p.ID, p.CreatedAt = prev.ID, prev.CreatedAt
	}
	if err := s.o.Store.PutPairing(audit.WithActor(ctx, "pairing"), p); err != nil {
		return docbridge.Pairing{}, docbridge.Wrap(docbridge.Internal, "store the pairing", err)
	}
	return p, nil
}

func newPairingID() string {
	var b [8]byte
	rand.Read(b[:])
	return "pr-" + hex.EncodeToString(b[:])
}

func (s *Server) page(w http.ResponseWriter, status int, pg page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	pageTmpl.Execute(w, pageData{Service: s.o.ServiceName, Page: pg})
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Run serves the endpoints on Options.Addr until ctx is done; it returns
// nil on a clean stop and an error when it cannot listen or serve.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.o.Addr)
	if err != nil {
		return fmt.Errorf("pairing: listen on %s: %w", s.o.Addr, err)
	}
	s.o.Log.Info().Str("addr", ln.Addr().String()).Bool("tls", s.o.TLSCert != "").Msg("pairing endpoints listening")
	if err := httpserve.Serve(ctx, ln, s.Handler(), s.o.TLSCert, s.o.TLSKey); err != nil {
		return fmt.Errorf("pairing: serve: %w", err)
	}
	return nil
}
