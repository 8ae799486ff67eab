package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mes"
)

// Session is what the cases of one run share: the clients and what
// earlier cases left for later ones (the authorization in progress, the
// pairing, the published document). Cases run one at a time.
type Session struct {
	docs    *mes.Client
	oauth   *mes.PairingClient
	consent Consent
	rec     *Recorder
	red     *Redactor
	now     func() time.Time

	// auth is the authorization pairing.authorize obtained, for
	// pairing.token.
	auth *authorization
	// pairing is the test patient's pairing once a token and the identity
	// are known; its AccessToken is empty before, and after revocation.
	pairing docbridge.Pairing
	revoked bool

	published   *docbridge.Document // by documents.publish
	publishedID string              // its MES id
	found       *mes.Found          // documents.search's finding of it
	replacement *docbridge.Document // by documents.replace

	measurement   *docbridge.Document // by mesures.publish
	appointment   *docbridge.Document // by agenda.create, then its latest version
	appointmentID string              // its MES id
}

// authorization is a code MES granted and the PKCE verifier that goes with
// it.
type authorization struct {
	code, verifier string
}

// authorize runs the authorization request with a fresh state and PKCE
// challenge, has the patient approve or refuse it, and returns the
// callback's parameters after checking its state.
func (s *Session) authorize(ctx context.Context, approve bool) (url.Values, string, error) {
	verifier, challenge := mes.NewPKCE()
	state := randomHex(16)
	s.red.Secret(verifier, challenge, state)
	u := s.oauth.AuthorizeURL(state, challenge)
	cb, err := s.consent.Ask(ctx, u, approve)
	if err != nil {
		return nil, "", fmt.Errorf("consentement : %w", err)
	}
	q := cb.Query()
	s.red.Secret(q.Get("code"))
	if q.Get("state") != state {
		return q, verifier, errors.New("le paramètre state du retour n'est pas celui de la demande")
	}
	return q, verifier, nil
}

// pair obtains a pairing for the test patient when the session has none:
// authorization, token and identity, as the pairing cases do them, within
// the running case (its report shows these exchanges as preparation).
func (s *Session) pair(ctx context.Context) error {
	if s.pairing.AccessToken != "" {
		return nil
	}
	q, verifier, err := s.authorize(ctx, true)
	if err != nil {
		return fmt.Errorf("préparation (appairage du patient de test) : %w", err)
	}
	if q.Get("code") == "" {
		return fmt.Errorf("préparation (appairage du patient de test) : MES n'a pas délivré de code (error=%s)", q.Get("error"))
	}
	t, err := s.oauth.Exchange(ctx, q.Get("code"), verifier)
	if err != nil {
		return fmt.Errorf("préparation (échange du code) : %w", err)
	}
	return s.adopt(ctx, t)
}

// adopt makes t the session's pairing, reading the patient's identity and
// keeping the scopes MES granted.
func (s *Session) adopt(ctx context.Context, t mes.Token) error {
	s.red.Secret(t.AccessToken, t.RefreshToken)
	p, err := s.oauth.Identity(ctx, t.AccessToken)
	if err != nil {
		return fmt.Errorf("identité du patient appairé : %w", err)
	}
	s.red.Patient(p)
	scopes := t.Scopes()
	if len(scopes) == 0 {
		scopes = s.pairing.Scopes // a refresh that does not say keeps what was granted
	}
	s.pairing = docbridge.Pairing{
		ID: "conformance", MESPatient: t.MESPatient, Patient: p,
		AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, ExpiresAt: t.ExpiresAt, CreatedAt: s.now().UTC(),
		Scopes: scopes,
	}
	s.revoked = false
	return nil
}

// lastStatus is the HTTP status of the running case's last answer.
func (s *Session) lastStatus() int { return s.rec.lastStatus() }

// needPublished says which case a case depends on when the document is
// not published.
func (s *Session) needPublished() error {
	if s.published == nil {
		return errors.New("dépend de documents.publish, qui n'a pas réussi")
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
