package conformance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/traits"
)

// pairingCases are the pairing (OAuth2) cases but the revocation, which
// ends the book (revocationCase).
func pairingCases() []Case {
	return []Case{{
		ID: "pairing.consent-refused", API: APIPairing,
		Title:    "Refus du consentement par le patient",
		Expected: "Le patient refuse : MES renvoie le navigateur vers docbridge avec error=access_denied et le state de la demande, sans code d'autorisation.",
		Run: func(ctx context.Context, s *Session) (string, error) {
			q, _, err := s.authorize(ctx, false)
			if err != nil {
				return "", err
			}
			switch {
			case q.Get("code") != "":
				return "MES a délivré un code malgré le refus", errors.New("un refus ne doit donner aucun code")
			case q.Get("error") != "access_denied":
				return fmt.Sprintf("retour avec error=%q", q.Get("error")), errors.New("error=access_denied attendu")
			}
			return "Retour avec error=access_denied et le state de la demande, sans code.", nil
		},
	}, {
		ID: "pairing.authorize", API: APIPairing,
		Title:    "Autorisation (code d'autorisation, PKCE S256)",
		Expected: "Le patient autorise : MES renvoie vers docbridge avec un code d'autorisation et le state de la demande.",
		Run: func(ctx context.Context, s *Session) (string, error) {
			q, verifier, err := s.authorize(ctx, true)
			if err != nil {
				return "", err
			}
			if q.Get("code") == "" {
				return fmt.Sprintf("retour sans code (error=%q)", q.Get("error")), errors.New("un code d'autorisation est attendu")
			}
			s.auth = &authorization{code: q.Get("code"), verifier: verifier}
			return "Retour avec un code d'autorisation et le state de la demande.", nil
		},
	}, {
		ID: "pairing.token", API: APIPairing,
		Title:    "Échange du code contre les jetons (PKCE)",
		Expected: "MES échange le code et le code_verifier contre un jeton d'accès Bearer, un jeton de renouvellement, sa durée et l'identifiant MES du patient ; la portée couvre les documents.",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if s.auth == nil {
				return "", errors.New("dépend de pairing.authorize, qui n'a pas réussi")
			}
			a := s.auth
			s.auth = nil // a code is used once
			t, err := s.oauth.Exchange(ctx, a.code, a.verifier)
			if err != nil {
				return "", err
			}
			s.red.Secret(t.AccessToken, t.RefreshToken)
			var missing []string
			if t.RefreshToken == "" {
				missing = append(missing, "jeton de renouvellement")
			}
			if t.ExpiresAt.IsZero() {
				missing = append(missing, "durée (expires_in)")
			}
			if t.MESPatient == "" {
				missing = append(missing, "identifiant MES du patient")
			}
			if !slices.Contains(strings.Fields(t.Scope), docbridge.ScopeDocuments) {
				missing = append(missing, "portée documents")
			}
			if len(missing) > 0 {
				return "", fmt.Errorf("la réponse ne donne pas : %s", strings.Join(missing, ", "))
			}
			if err := s.adopt(ctx, t); err != nil {
				return "Jetons reçus", err
			}
			return fmt.Sprintf("Jeton d'accès et de renouvellement reçus, valables jusqu'au %s, portée %q.", t.ExpiresAt.In(paris).Format("02/01/2006 15:04"), t.Scope), nil
		},
	}, {
		ID: "pairing.identity", API: APIPairing,
		Title:    "Identité du patient appairé (INS et traits stricts)",
		Expected: "Avec le jeton d'accès, MES donne l'identité du patient : un INS d'un OID INS avec une clé valide, le nom de naissance, les prénoms, la date de naissance, le sexe et le lieu de naissance.",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if err := s.pair(ctx); err != nil {
				return "", err
			}
			p, err := s.oauth.Identity(ctx, s.pairing.AccessToken)
			if err != nil {
				return "", err
			}
			s.red.Patient(p)
			var missing []string
			for _, f := range []struct{ name, v string }{{"nom de naissance", p.BirthName}, {"date de naissance", p.BirthDate}, {"sexe", p.Sex}, {"lieu de naissance", p.BirthPlace}} {
				if f.v == "" {
					missing = append(missing, f.name)
				}
			}
			if len(p.FirstNames) == 0 {
				missing = append(missing, "prénoms")
			}
			switch {
			case !traits.IsINSSystem(p.INSSystem):
				return "", fmt.Errorf("l'identifiant du patient n'est pas d'un OID INS (%s)", p.INSSystem)
			case !traits.ValidINSKey(p.INS):
				return "", errors.New("la clé de l'INS renvoyé n'est pas valide")
			case len(missing) > 0:
				return "", fmt.Errorf("traits absents : %s", strings.Join(missing, ", "))
			}
			return fmt.Sprintf("INS (OID %s, clé valide) et les cinq traits stricts reçus.", p.INSSystem), nil
		},
	}, {
		ID: "pairing.refresh", API: APIPairing,
		Title:    "Renouvellement des jetons (refresh_token)",
		Expected: "MES donne un nouveau jeton d'accès contre le jeton de renouvellement ; le nouveau jeton est accepté.",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if err := s.pair(ctx); err != nil {
				return "", err
			}
			t, err := s.oauth.Refresh(ctx, s.pairing.RefreshToken)
			if err != nil {
				return "", err
			}
			s.red.Secret(t.AccessToken, t.RefreshToken)
			if t.AccessToken == "" || t.AccessToken == s.pairing.AccessToken {
				return "", errors.New("MES n'a pas donné de nouveau jeton d'accès")
			}
			if t.RefreshToken == "" {
				t.RefreshToken = s.pairing.RefreshToken // MES may keep the refresh token
			}
			if t.MESPatient == "" {
				t.MESPatient = s.pairing.MESPatient
			}
			if err := s.adopt(ctx, t); err != nil {
				return "Nouveau jeton reçu", fmt.Errorf("le nouveau jeton n'est pas accepté : %w", err)
			}
			return "Nouveau jeton d'accès reçu et accepté par MES.", nil
		},
	}}
}

// revocationCase ends the pairing the book made.
func revocationCase() Case {
	return Case{
		ID: "pairing.revoke", API: APIPairing,
		Title:    "Révocation de l'appairage",
		Expected: "MES accepte la révocation (RFC 7009) ; ensuite le jeton d'accès est refusé (HTTP 401) et le jeton de renouvellement aussi (invalid_grant).",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if err := s.pair(ctx); err != nil {
				return "", err
			}
			p := s.pairing
			if err := s.oauth.Revoke(ctx, p.RefreshToken); err != nil {
				return "", err
			}
			s.revoked = true
			s.pairing.AccessToken = ""
			_, err := s.oauth.Identity(ctx, p.AccessToken)
			if docbridge.ReasonOf(err) != docbridge.PairingRevoked || s.lastStatus() != 401 {
				return "", fmt.Errorf("après révocation, le jeton d'accès devait être refusé en HTTP 401 (obtenu : HTTP %d, %v)", s.lastStatus(), errOrNone(err))
			}
			if _, err := s.oauth.Refresh(ctx, p.RefreshToken); docbridge.ReasonOf(err) != docbridge.PairingRevoked {
				return "", fmt.Errorf("après révocation, le jeton de renouvellement devait être refusé (obtenu : HTTP %d, %v)", s.lastStatus(), errOrNone(err))
			}
			return "Révocation acceptée ; le jeton d'accès est ensuite refusé (HTTP 401) et le renouvellement aussi.", nil
		},
	}
}

// errOrNone describes err for a message, "aucune erreur" when nil.
func errOrNone(err error) string {
	if err == nil {
		return "aucune erreur"
	}
	return err.Error()
}
