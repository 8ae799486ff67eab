package messim

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
)

// The pairing side of the simulator: standard OAuth2 shapes, the same
// choices as mes/wire_pairing.go, read independently.
//
//	GET  /oauth/authorize   consent page (consent.go)
//	POST /oauth/authorize   the patient's answer → 303 to redirect_uri with code or error
//	POST /oauth/token       grant_type=authorization_code (PKCE S256 required) or refresh_token
//	GET  /oauth/patient     the paired patient's identity (FHIR Patient), bearer token
//	POST /oauth/revoke      RFC 7009: ends the pairing the token belongs to
//
// Access tokens allow documents for their patient only (as AddPatient's),
// and measurements when the patient granted the mesures scope;
// refresh tokens rotate on use. Lifetimes are Options.AccessTokenTTL,
// RefreshTokenTTL and CodeTTL.

const (
	pathAuthorize  = "/oauth/authorize"
	scopeDocuments = "documents"

	extBirthPlace = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
	extInseeCode  = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code"
)

// refreshGrant is what a refresh token allows: new tokens for one patient.
type refreshGrant struct {
	clientID, mesID string
	scopes          []string
	expires         time.Time
	revoked         bool
}

func (s *Server) routesPairing(mux *http.ServeMux) {
	mux.HandleFunc("GET "+pathAuthorize, s.authorizePage)
	mux.HandleFunc("POST "+pathAuthorize, s.authorizeDecision)
	mux.HandleFunc("POST /oauth/token", s.token)
	mux.HandleFunc("GET /oauth/patient", s.patientIdentity)
	mux.HandleFunc("POST /oauth/revoke", s.revoke)
}

// AddIdentity registers the identity MES holds for a patient (the INS
// with its system and the five strict traits), so that the patient can
// pair through the consent page and GET /oauth/patient returns it. It
// replaces an identity registered before for mesID.
func (s *Server) AddIdentity(mesID string, p docbridge.Patient) {
	p.INSSystem = oidURI(p.INSSystem)
	p.FirstNames = append([]string(nil), p.FirstNames...)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.identities[mesID] = p
}

// RevokePatient ends every pairing of a patient, as when they withdraw
// the service's access in MES: their access and refresh tokens (from
// AddPatient or the token endpoint) answer 401 / invalid_grant from now on.
func (s *Server) RevokePatient(mesID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.tokens {
		if g.mesID == mesID {
			g.revoked = true
		}
	}
	for _, g := range s.refresh {
		if g.mesID == mesID {
			g.revoked = true
		}
	}
}

// clientName returns the service name of a client id, and whether the
// client is allowed (any client when Options.Clients is nil).
func (s *Server) clientName(id string) (string, bool) {
	if id == "" {
		return "", false
	}
	if s.o.Clients == nil {
		return id, true
	}
	name, ok := s.o.Clients[id]
	return name, ok
}

// token handles POST /oauth/token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	clientID := r.PostFormValue("client_id")
	if _, ok := s.clientName(clientID); !ok {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	var mesID string
	var scopes []string
	now := s.now()
	s.mu.Lock()
	switch r.PostFormValue("grant_type") {
	case "authorization_code":
		code := r.PostFormValue("code")
		c := s.codes[code]
		delete(s.codes, code) // a code is used once, even by a failed attempt
		if c == nil || now.After(c.expires) || c.clientID != clientID || c.redirect != r.PostFormValue("redirect_uri") ||
			subtle.ConstantTimeCompare([]byte(pkceS256(r.PostFormValue("code_verifier"))), []byte(c.challenge)) != 1 {
			s.mu.Unlock()
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		mesID, scopes = c.mesID, c.scopes
	case "refresh_token":
		rt := r.PostFormValue("refresh_token")
		g := s.refresh[rt]
		if g == nil || g.revoked || now.After(g.expires) || g.clientID != clientID {
			s.mu.Unlock()
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		delete(s.refresh, rt) // rotation: the old refresh token is spent
		mesID, scopes = g.mesID, g.scopes
	default:
		s.mu.Unlock()
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	id, known := s.identities[mesID]
	if !known {
		s.mu.Unlock()
		oauthError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	access, refresh := randomToken(), randomToken()
	s.tokens[access] = &grant{mesID: mesID, ins: id.INS, insSystem: id.INSSystem, client: clientID, scopes: scopes, expires: now.Add(s.o.AccessTokenTTL)}
	s.refresh[refresh] = &refreshGrant{clientID: clientID, mesID: mesID, scopes: scopes, expires: now.Add(s.o.RefreshTokenTTL)}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": int64(s.o.AccessTokenTTL / time.Second),
		"refresh_token": refresh, "scope": strings.Join(scopes, " "), "patient": mesID,
	})
}

// patientIdentity handles GET /oauth/patient.
func (s *Server) patientIdentity(w http.ResponseWriter, r *http.Request) {
	g, p := s.authorize(r)
	if p != nil {
		s.fail(w, r, p)
		return
	}
	s.mu.Lock()
	id, ok := s.identities[g.mesID]
	s.mu.Unlock()
	if !ok {
		s.fail(w, r, &problem{status: http.StatusNotFound, code: "not-found", diag: "no identity is registered for this patient"})
		return
	}
	gender := map[string]string{"M": "male", "F": "female"}[id.Sex]
	if gender == "" {
		gender = "unknown"
	}
	w.Header().Set("Content-Type", "application/fhir+json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{
		"resourceType": "Patient",
		"id":           g.mesID,
		"identifier":   []map[string]string{{"system": id.INSSystem, "value": id.INS}},
		"name":         []map[string]any{{"use": "official", "family": id.BirthName, "given": id.FirstNames}},
		"birthDate":    id.BirthDate,
		"gender":       gender,
		"extension": []map[string]any{{"url": extBirthPlace, "valueAddress": map[string]any{
			"extension": []map[string]any{{"url": extInseeCode, "valueCoding": map[string]string{"code": id.BirthPlace}}},
		}}},
	})
}

// revoke handles POST /oauth/revoke: the pairing the token (access or
// refresh) belongs to ends, for this client. Unknown tokens are success.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	token, clientID := r.PostFormValue("token"), r.PostFormValue("client_id")
	s.mu.Lock()
	var mesID string
	if g := s.tokens[token]; g != nil && g.client == clientID {
		mesID = g.mesID
	}
	if g := s.refresh[token]; g != nil && g.clientID == clientID {
		mesID = g.mesID
	}
	if mesID != "" {
		for _, g := range s.tokens {
			if g.mesID == mesID && g.client == clientID {
				g.revoked = true
			}
		}
		for _, g := range s.refresh {
			if g.mesID == mesID && g.clientID == clientID {
				g.revoked = true
			}
		}
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code})
}

// pkceS256 is the S256 code challenge of a verifier (RFC 7636 §4.2). An
// empty verifier has no challenge.
func pkceS256(verifier string) string {
	if len(verifier) < 43 || len(verifier) > 128 {
		return "\x00invalid"
	}
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}
