package fhirhttp

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"net/http"
	"strings"
)

// auth checks a request's credentials: a client certificate the TLS
// handshake verified against ClientCAs, or a bearer token among the
// configured ones.
type auth struct {
	certs  bool                // client certificates are verified and accepted
	tokens [][sha256.Size]byte // digests of the accepted bearer tokens
}

func newAuth(tokens []string, tc *tls.Config) auth {
	a := auth{certs: tc != nil && tc.ClientCAs != nil && tc.ClientAuth >= tls.VerifyClientCertIfGiven}
	for _, t := range tokens {
		if t = strings.TrimSpace(t); t != "" {
			a.tokens = append(a.tokens, sha256.Sum256([]byte(t)))
		}
	}
	return a
}

// configured reports whether any credential can be accepted.
func (a auth) configured() bool { return a.certs || len(a.tokens) > 0 }

// check returns "" for an authenticated request, else the sentence of the
// 401. Tokens are compared as SHA-256 digests in constant time, every one
// of them, so neither a token's length nor its position leaks.
func (a auth) check(r *http.Request) string {
	if a.certs && r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		return ""
	}
	h := r.Header.Get("Authorization")
	scheme, token, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		if a.certs && len(a.tokens) == 0 {
			return "this intake needs a client certificate signed by its client CA"
		}
		return "this intake needs a bearer token (Authorization: Bearer <token>)" + a.orCert()
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	match := 0
	for i := range a.tokens {
		match |= subtle.ConstantTimeCompare(sum[:], a.tokens[i][:])
	}
	if match == 1 {
		return ""
	}
	return "the bearer token is not one this intake accepts" + a.orCert()
}

func (a auth) orCert() string {
	if a.certs {
		return ", or a client certificate signed by its client CA"
	}
	return ""
}
