package messim

import (
	"crypto/subtle"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The consent page: GET /oauth/authorize checks the request and shows
// which service asks for which data; POST /oauth/authorize records the
// patient's answer. The simulator has no real login: the patient picks
// who they are among the identities registered with AddIdentity (field
// "patient", the MES id). The form carries an unguessable request id and
// a CSRF token that must equal the "mes_csrf" cookie set with the page.

// dataTypes say, per scope, what a pairing granting it gives access to.
var dataTypes = map[string]string{
	scopeDocuments: "Documents de santé : déposer des comptes rendus et résultats dans votre dossier",
	scopeMesures:   "Mesures de santé : ajouter des mesures (poids, tension, glycémie…) à votre profil",
	"agenda":       "Agenda : ajouter des rendez-vous à votre agenda",
}

// consentItem is one scope asked, as the page shows it; the patient may
// refuse any but documents.
type consentItem struct {
	Scope, Text string
	Optional    bool
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Mon espace santé — autoriser un service</title></head>
<body>
<h1>Autoriser « {{.Service}} »</h1>
<p>Le service <strong>{{.Service}}</strong> demande à accéder à votre profil Mon espace santé pour :</p>
<form method="post" action="{{.Action}}">
<ul>{{range .DataTypes}}<li>{{.Text}}{{if .Optional}} <label><input type="checkbox" name="deny_scope" value="{{.Scope}}"> refuser</label>{{end}}</li>{{end}}</ul>
<input type="hidden" name="request" value="{{.Request}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label>Vous êtes :
<select name="patient">{{range .Patients}}<option value="{{.}}">{{.}}</option>{{end}}</select></label>
<button type="submit" name="decision" value="approve">Autoriser</button>
<button type="submit" name="decision" value="deny">Refuser</button>
</form>
</body></html>
`))

// authRequest is an authorization request waiting for the patient's answer.
type authRequest struct {
	clientID, redirect, state, challenge, csrf string
	scopes                                     []string // asked
	expires                                    time.Time
}

// authCode is an issued authorization code, usable once.
type authCode struct {
	clientID, redirect, challenge, mesID string
	scopes                               []string // granted
	expires                              time.Time
}

// authorizePage handles GET /oauth/authorize.
func (s *Server) authorizePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	clientID, redirect := q.Get("client_id"), q.Get("redirect_uri")
	service, ok := s.clientName(clientID)
	if !ok {
		oauthPage(w, http.StatusBadRequest, "unknown client_id")
		return
	}
	if u, err := url.Parse(redirect); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		oauthPage(w, http.StatusBadRequest, "redirect_uri must be an absolute http(s) URL")
		return
	}
	// From here on errors go back to the service (RFC 6749 §4.1.2.1).
	bad := func(code string) {
		redirectBack(w, r, redirect, url.Values{"error": {code}, "state": {q.Get("state")}})
	}
	switch {
	case q.Get("response_type") != "code":
		bad("unsupported_response_type")
		return
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		bad("invalid_request") // PKCE with S256 is required
		return
	case !slices.Contains(strings.Fields(q.Get("scope")), scopeDocuments):
		bad("invalid_scope")
		return
	}
	var items []consentItem
	scopes := strings.Fields(q.Get("scope"))
	for _, sc := range scopes {
		text, known := dataTypes[sc]
		if !known {
			bad("invalid_scope")
			return
		}
		items = append(items, consentItem{Scope: sc, Text: text, Optional: sc != scopeDocuments})
	}
	req := &authRequest{clientID: clientID, redirect: redirect, state: q.Get("state"), scopes: scopes,
		challenge: q.Get("code_challenge"), csrf: randomToken(), expires: s.now().Add(10 * time.Minute)}
	id := randomToken()
	s.mu.Lock()
	s.requestsAuth[id] = req
	patients := make([]string, 0, len(s.identities))
	for mesID := range s.identities {
		patients = append(patients, mesID)
	}
	s.mu.Unlock()
	slices.Sort(patients)
	http.SetCookie(w, &http.Cookie{Name: "mes_csrf", Value: req.csrf, Path: pathAuthorize, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	consentPage.Execute(w, map[string]any{
		"Service": service, "DataTypes": items, "Action": pathAuthorize,
		"Request": id, "CSRF": req.csrf, "Patients": patients,
	})
}

// authorizeDecision handles POST /oauth/authorize: the patient's answer.
func (s *Server) authorizeDecision(w http.ResponseWriter, r *http.Request) {
	id := r.PostFormValue("request")
	s.mu.Lock()
	req := s.requestsAuth[id]
	delete(s.requestsAuth, id) // one answer per request
	s.mu.Unlock()
	if req == nil || s.now().After(req.expires) {
		oauthPage(w, http.StatusBadRequest, "unknown or expired authorization request: start again from the service")
		return
	}
	c, err := r.Cookie("mes_csrf")
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(req.csrf)) != 1 ||
		subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(req.csrf)) != 1 {
		oauthPage(w, http.StatusForbidden, "the form does not come from this page (CSRF check failed)")
		return
	}
	if r.PostFormValue("decision") != "approve" {
		redirectBack(w, r, req.redirect, url.Values{"error": {"access_denied"}, "state": {req.state}})
		return
	}
	mesID := r.PostFormValue("patient")
	// The patient grants what was asked but the scopes they refuse.
	var granted []string
	for _, sc := range req.scopes {
		if sc == scopeDocuments || !slices.Contains(r.PostForm["deny_scope"], sc) {
			granted = append(granted, sc)
		}
	}
	code := randomToken()
	s.mu.Lock()
	_, known := s.identities[mesID]
	if known {
		s.codes[code] = &authCode{clientID: req.clientID, redirect: req.redirect, challenge: req.challenge,
			mesID: mesID, scopes: granted, expires: s.now().Add(s.o.CodeTTL)}
	}
	s.mu.Unlock()
	if !known {
		oauthPage(w, http.StatusBadRequest, "unknown patient")
		return
	}
	redirectBack(w, r, req.redirect, url.Values{"code": {code}, "state": {req.state}})
}

func redirectBack(w http.ResponseWriter, r *http.Request, redirect string, q url.Values) {
	sep := "?"
	if strings.Contains(redirect, "?") {
		sep = "&"
	}
	http.Redirect(w, r, redirect+sep+q.Encode(), http.StatusSeeOther)
}

func oauthPage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte("Mon espace santé (simulator): " + msg + "\n"))
}
