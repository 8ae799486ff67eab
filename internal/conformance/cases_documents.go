package conformance

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mes"
)

// otherINS is a synthetic INS (test OID, valid key) that is not the test
// patient's: documents.error-403 files a document under it.
const otherINS = "201127510432109"

// documentCases are the Documents API cases: the life of one document
// (publish, resend, search, retrieve, replace, delete), then each class of
// error answer.
func documentCases() []Case {
	return []Case{{
		ID: "documents.publish", API: APIDocuments,
		Title:    "Dépôt d'un document",
		Expected: "MES accepte le document (HTTP 2xx) et lui donne un identifiant.",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if err := s.pair(ctx); err != nil {
				return "", err
			}
			d := testDocument(s.pairing, s.now(), "depot")
			r, err := s.deliver(ctx, d)
			if err != nil {
				return "", err
			}
			if r.Duplicate || r.MESID == "" {
				return "", fmt.Errorf("HTTP %d sans identifiant MES ou signalé comme doublon", r.Status)
			}
			s.published, s.publishedID = d, r.MESID
			return fmt.Sprintf("Document déposé : HTTP %d, identifiant MES %s.", r.Status, r.MESID), nil
		},
	}, {
		ID: "documents.resend", API: APIDocuments,
		Title:    "Renvoi à l'identique (idempotence)",
		Expected: "Le même document renvoyé est reconnu comme déjà reçu (HTTP 2xx avec le signal de doublon) ; MES n'en crée pas de second.",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if err := s.needPublished(); err != nil {
				return "", err
			}
			r, err := s.deliver(ctx, s.published)
			if err != nil {
				return "", err
			}
			if !r.Duplicate {
				return fmt.Sprintf("HTTP %d", r.Status), errors.New("MES n'a pas signalé le doublon")
			}
			return fmt.Sprintf("HTTP %d, doublon signalé.", r.Status), nil
		},
	}, {
		ID: "documents.search", API: APIDocuments,
		Title:    "Recherche des documents du patient",
		Expected: "La recherche par patient et identifiant trouve le document déposé, au statut current, avec sa taille et son empreinte SHA-1.",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if err := s.needPublished(); err != nil {
				return "", err
			}
			f, err := s.findOne(ctx, s.published.UniqueID, "current")
			if err != nil {
				return "", err
			}
			if f.SHA1 != "" && f.SHA1 != s.published.SHA1 || f.Size != s.published.Size {
				return "", fmt.Errorf("le document trouvé n'a pas la taille ou l'empreinte déposée (%d octets, SHA-1 %s)", f.Size, f.SHA1)
			}
			s.found = f
			return fmt.Sprintf("Trouvé : identifiant MES %s, statut %s, %d octets.", f.MESID, f.Status, f.Size), nil
		},
	}, {
		ID: "documents.retrieve", API: APIDocuments,
		Title:    "Récupération du contenu et contrôle d'empreinte",
		Expected: "Le contenu récupéré a exactement la taille et l'empreinte SHA-1 du contenu déposé.",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if s.found == nil {
				return "", errors.New("dépend de documents.search, qui n'a pas réussi")
			}
			var b bytes.Buffer
			if _, err := s.docs.Retrieve(ctx, s.pairing, s.found.URL, &b); err != nil {
				return "", err
			}
			sum := sha1.Sum(b.Bytes())
			got := hex.EncodeToString(sum[:])
			if got != s.published.SHA1 || int64(b.Len()) != s.published.Size {
				return "", fmt.Errorf("contenu différent : %d octets, SHA-1 %s ; déposé : %d octets, SHA-1 %s", b.Len(), got, s.published.Size, s.published.SHA1)
			}
			return fmt.Sprintf("Contenu identique : %d octets, SHA-1 %s.", b.Len(), got), nil
		},
	}, {
		ID: "documents.error-409", API: APIDocuments,
		Title:    "Erreur 409 : même identifiant, autre contenu",
		Expected: "Un autre contenu sous l'identifiant du document déposé est refusé (HTTP 409) ; le document déposé reste inchangé.",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if err := s.needPublished(); err != nil {
				return "", err
			}
			d := testDocument(s.pairing, s.now(), "conflit")
			d.UniqueID = s.published.UniqueID
			return s.expectRefusal(ctx, d, docbridge.MESRejected, http.StatusConflict)
		},
	}, {
		ID: "documents.replace", API: APIDocuments,
		Title:    "Remplacement d'un document",
		Expected: "MES accepte la nouvelle version (HTTP 2xx) ; l'ancienne passe au statut superseded et la nouvelle est current.",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if err := s.needPublished(); err != nil {
				return "", err
			}
			d := testDocument(s.pairing, s.now(), "remplacement")
			d.Action, d.Replaces = docbridge.Replace, s.published.UniqueID
			r, err := s.deliver(ctx, d)
			if err != nil {
				return "", err
			}
			s.replacement = d
			if _, err := s.findOne(ctx, d.UniqueID, "current"); err != nil {
				return "", fmt.Errorf("nouvelle version : %w", err)
			}
			if _, err := s.findOne(ctx, s.published.UniqueID, "superseded"); err != nil {
				return "", fmt.Errorf("ancienne version : %w", err)
			}
			return fmt.Sprintf("Remplacement accepté (HTTP %d, identifiant MES %s) ; ancienne version superseded, nouvelle current.", r.Status, r.MESID), nil
		},
	}, {
		ID: "documents.delete", API: APIDocuments,
		Title:    "Suppression d'un document",
		Expected: "MES accepte la suppression (HTTP 2xx) ; la recherche ne trouve plus le document.",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if s.replacement == nil {
				return "", errors.New("dépend de documents.replace, qui n'a pas réussi")
			}
			d := *s.replacement
			d.Action, d.Replaces, d.Content = docbridge.Delete, "", nil
			r, err := s.docs.Deliver(ctx, &d, nil, s.pairing)
			if err != nil {
				return "", err
			}
			found, err := s.docs.Search(ctx, s.pairing, mes.SearchQuery{UniqueID: d.UniqueID, Status: []string{"current", "superseded"}})
			if err != nil {
				return "", fmt.Errorf("recherche après suppression : %w", err)
			}
			if len(found) > 0 {
				return "", fmt.Errorf("la recherche trouve encore le document supprimé (statut %s)", found[0].Status)
			}
			return fmt.Sprintf("Suppression acceptée (HTTP %d) ; le document n'est plus trouvé.", r.Status), nil
		},
	}, {
		ID: "documents.error-422", API: APIDocuments,
		Title:    "Erreur 400/422 : contenu refusé",
		Expected: "Un document dont le type n'est pas dans le jeu de valeurs national (JDV_J07) est refusé (HTTP 422, ou 400) avec un OperationOutcome.",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if err := s.pair(ctx); err != nil {
				return "", err
			}
			d := testDocument(s.pairing, s.now(), "type inconnu")
			d.Type = docbridge.Coding{System: "http://loinc.org", Code: "00000-0", Display: "Type inconnu"}
			return s.expectRefusal(ctx, d, docbridge.MESRejected, http.StatusUnprocessableEntity, http.StatusBadRequest)
		},
	}, {
		ID: "documents.error-401", API: APIDocuments,
		Title:    "Erreur 401 : jeton invalide",
		Expected: "Un dépôt avec un jeton d'accès inconnu est refusé (HTTP 401) ; docbridge le classe comme appairage révoqué.",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if err := s.pair(ctx); err != nil {
				return "", err
			}
			p := s.pairing
			p.AccessToken = "conformance-" + randomHex(24)
			s.red.Secret(p.AccessToken)
			d := testDocument(p, s.now(), "jeton invalide")
			r, err := s.docs.Deliver(ctx, d, bytes.NewReader(d.Content), p)
			return refusal(r.Status, err, docbridge.PairingRevoked, http.StatusUnauthorized)
		},
	}, {
		ID: "documents.error-403", API: APIDocuments,
		Title:    "Erreur 403 : document d'un autre patient",
		Expected: "Un document dont le sujet (INS) n'est pas le patient du jeton est refusé (HTTP 403).",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if err := s.pair(ctx); err != nil {
				return "", err
			}
			d := testDocument(s.pairing, s.now(), "autre patient")
			d.Patient.INS = otherINS
			s.red.Secret(otherINS)
			r, err := s.docs.Deliver(ctx, d, bytes.NewReader(d.Content), s.pairing)
			if err == nil {
				return fmt.Sprintf("HTTP %d", r.Status), errors.New("MES a accepté le document d'un autre patient")
			}
			if r.Status != http.StatusForbidden {
				return "", fmt.Errorf("HTTP 403 attendu, obtenu HTTP %d : %v", r.Status, err)
			}
			return fmt.Sprintf("Refusé : HTTP 403 (%s).", docbridge.ReasonOf(err)), nil
		},
	}, {
		ID: "documents.error-404", API: APIDocuments,
		Title:    "Erreur 404 : document inconnu",
		Expected: "La récupération d'un document que MES ne connaît pas est refusée (HTTP 404).",
		Run: func(ctx context.Context, s *Session) (string, error) {
			if s.found == nil {
				return "", errors.New("dépend de documents.search, qui n'a pas réussi (son adresse sert de modèle)")
			}
			i := strings.LastIndex(s.found.URL, s.found.MESID)
			if s.found.MESID == "" || i < 0 {
				return "", errors.New("l'adresse du document trouvé ne contient pas son identifiant MES")
			}
			unknown := s.found.URL[:i] + "dr-inconnu-" + randomHex(8) + s.found.URL[i+len(s.found.MESID):]
			_, err := s.docs.Retrieve(ctx, s.pairing, unknown, &bytes.Buffer{})
			return refusal(s.lastStatus(), err, docbridge.MESRejected, http.StatusNotFound)
		},
	}, {
		ID: "documents.error-429", API: APIDocuments, SimFault: http.StatusTooManyRequests,
		Title:    "Erreur 429 : trop de requêtes, avec Retry-After",
		Expected: "MES limite le débit (HTTP 429 avec Retry-After) ; docbridge classe la réponse comme indisponibilité passagère et retient le délai demandé.",
		Run: func(ctx context.Context, s *Session) (string, error) {
			return s.expectUnavailable(ctx, http.StatusTooManyRequests, true)
		},
	}, {
		ID: "documents.error-5xx", API: APIDocuments, SimFault: http.StatusServiceUnavailable,
		Title:    "Erreur 5xx : MES indisponible",
		Expected: "MES est indisponible (HTTP 503) ; docbridge classe la réponse comme indisponibilité passagère, à réessayer.",
		Run: func(ctx context.Context, s *Session) (string, error) {
			return s.expectUnavailable(ctx, http.StatusServiceUnavailable, false)
		},
	}}
}

// deliver sends d with the session's pairing.
func (s *Session) deliver(ctx context.Context, d *docbridge.Document) (docbridge.Receipt, error) {
	return s.docs.Deliver(ctx, d, bytes.NewReader(d.Content), s.pairing)
}

// findOne searches for the document with that uniqueId and wants exactly
// one, with that status.
func (s *Session) findOne(ctx context.Context, uniqueID, status string) (*mes.Found, error) {
	found, err := s.docs.Search(ctx, s.pairing, mes.SearchQuery{UniqueID: uniqueID, Status: []string{"current", "superseded"}})
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(found, func(f mes.Found) bool { return f.UniqueID == uniqueID })
	switch {
	case i < 0:
		return nil, errors.New("la recherche ne trouve pas le document")
	case found[i].Status != status:
		return nil, fmt.Errorf("statut %s, %s attendu", found[i].Status, status)
	}
	return &found[i], nil
}

// expectRefusal sends d and wants it refused for reason with one of the
// statuses.
func (s *Session) expectRefusal(ctx context.Context, d *docbridge.Document, reason docbridge.Reason, statuses ...int) (string, error) {
	r, err := s.deliver(ctx, d)
	return refusal(r.Status, err, reason, statuses...)
}

// refusal judges an answer that should be a refusal for reason with one of
// the statuses.
func refusal(status int, err error, reason docbridge.Reason, statuses ...int) (string, error) {
	if err == nil {
		return fmt.Sprintf("HTTP %d", status), errors.New("MES a accepté la requête")
	}
	if !slices.Contains(statuses, status) || docbridge.ReasonOf(err) != reason {
		return "", fmt.Errorf("HTTP %d (%s) attendu, obtenu HTTP %d (%s) : %v", statuses[0], reason, status, docbridge.ReasonOf(err), err)
	}
	return fmt.Sprintf("Refusé comme attendu : HTTP %d, classé %s.", status, reason), nil
}

// expectUnavailable sends a document during a fault the simulator injects
// for the case, and wants it classified mes-unavailable with the status,
// and a Retry-After when retryAfter.
func (s *Session) expectUnavailable(ctx context.Context, status int, retryAfter bool) (string, error) {
	if err := s.pair(ctx); err != nil {
		return "", err
	}
	d := testDocument(s.pairing, s.now(), fmt.Sprintf("erreur %d", status))
	r, err := s.deliver(ctx, d)
	actual, jerr := refusal(r.Status, err, docbridge.MESUnavailable, status)
	if jerr != nil {
		return actual, jerr
	}
	var de *docbridge.Error
	if retryAfter {
		if !errors.As(err, &de) || de.RetryAfter <= 0 {
			return actual, errors.New("la réponse ne donne pas de délai Retry-After")
		}
		actual += fmt.Sprintf(" Retry-After : %s.", de.RetryAfter)
	}
	return actual, nil
}
