package mestest

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

// dataTypes are the data a pairing with ScopeDocuments gives access to.
var dataTypes = []string{
	"Documents de santé : déposer des comptes rendus et résultats dans votre dossier",
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Mon espace santé — autoriser un service</title></head>
<body>
<h1>Autoriser « {{.Service}} »</h1>
<p>Le service <strong>{{.Service}}</strong> demande à accéder à votre profil Mon espace santé pour :</p>
<ul>{{range .DataTypes}}<li>{{.}}</li>{{end}}</ul>
<form method="post" action="{{.Action}}">
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
	expires                                    time.Time
}

// authCode is an issued authorization code, usable once.
type authCode struct {
	clientID, redirect, challenge, mesID string
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
	req := &authRequest{clientID: clientID, redirect: redirect, state: q.Get("state"),
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
		"Service": service, "DataTypes": dataTypes, "Action": pathAuthorize,
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
	code := randomToken()
	s.mu.Lock()
	_, known := s.identities[mesID]
	if known {
		s.codes[code] = &authCode{clientID: req.clientID, redirect: req.redirect, challenge: req.challenge,
			mesID: mesID, expires: s.now().Add(s.o.CodeTTL)}
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
