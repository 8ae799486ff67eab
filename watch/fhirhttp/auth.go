package fhirhttp

import (
	"context"
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
	names  []string            // the name of each token, or ""
}

// newAuth reads tokens, each "token" or "name token" (the name is the
// sender it authenticates, which chooses a source profile).
func newAuth(tokens []string, tc *tls.Config) auth {
	a := auth{certs: tc != nil && tc.ClientCAs != nil && tc.ClientAuth >= tls.VerifyClientCertIfGiven}
	for _, t := range tokens {
		f := strings.Fields(t)
		name := ""
		switch len(f) {
		case 0:
			continue
		case 2:
			name = f[0]
		}
		a.tokens = append(a.tokens, sha256.Sum256([]byte(f[len(f)-1])))
		a.names = append(a.names, name)
	}
	return a
}

// senderKey is the context key of the authenticated sender.
type senderKey struct{}

// senderOf is the sender check authenticated r as: the token's name or the
// common name of the client certificate's subject; "" when it has none.
func senderOf(r *http.Request) string {
	s, _ := r.Context().Value(senderKey{}).(string)
	return s
}

// authenticated returns r carrying its sender for senderOf.
func authenticated(r *http.Request, sender string) *http.Request {
	if sender == "" {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), senderKey{}, sender))
}

// configured reports whether any credential can be accepted.
func (a auth) configured() bool { return a.certs || len(a.tokens) > 0 }

// check returns the sender and "" for an authenticated request, else the
// sentence of the 401. Tokens are compared as SHA-256 digests in constant
// time, every one of them, so neither a token's length nor its position
// leaks.
func (a auth) check(r *http.Request) (sender, why string) {
	if a.certs && r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		return r.TLS.VerifiedChains[0][0].Subject.CommonName, ""
	}
	h := r.Header.Get("Authorization")
	scheme, token, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		if a.certs && len(a.tokens) == 0 {
			return "", "this intake needs a client certificate signed by its client CA"
		}
		return "", "this intake needs a bearer token (Authorization: Bearer <token>)" + a.orCert()
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	match := 0
	for i := range a.tokens {
		if subtle.ConstantTimeCompare(sum[:], a.tokens[i][:]) == 1 {
			match, sender = 1, a.names[i]
		}
	}
	if match == 1 {
		return sender, ""
	}
	return "", "the bearer token is not one this intake accepts" + a.orCert()
}

func (a auth) orCert() string {
	if a.certs {
		return ", or a client certificate signed by its client CA"
	}
	return ""
}
