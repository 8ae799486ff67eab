package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Role is what a user may do in the console.
type Role string

// The roles: a viewer reads everything the console shows; an operator also
// retries, releases and decides reviews.
const (
	Viewer   Role = "viewer"
	Operator Role = "operator"
)

const (
	viewer   = Viewer
	operator = Operator
)

// may reports whether role r grants what need asks.
func (r Role) may(need Role) bool {
	return r == Operator || (r == Viewer && need == Viewer)
}

// User is a console user. PasswordHash is a bcrypt hash (HashPassword); a
// user without one can only sign in through the trusted header.
type User struct {
	Name         string
	PasswordHash string
	Role         Role
}

// HashPassword returns the bcrypt hash of password for the configuration.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", errors.New("admin: empty password")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("admin: hash password: %w", err)
	}
	return string(h), nil
}

// CheckUser returns the problems of one configured user, each naming the
// field: a name, a known role, a password hash that is a bcrypt hash.
func CheckUser(u User) []string {
	var out []string
	if u.Name == "" || strings.ContainsAny(u.Name, " \t\r\n:") {
		out = append(out, "name: required, without spaces or colons")
	}
	if u.Role != Viewer && u.Role != Operator {
		out = append(out, fmt.Sprintf("role: %q is not viewer or operator", u.Role))
	}
	if u.PasswordHash != "" {
		if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
			out = append(out, "password_hash: not a bcrypt hash (use docbridge admin hash-password)")
		}
	}
	return out
}

// indexUsers checks users and indexes them by name.
func indexUsers(users []User) (map[string]User, error) {
	m := make(map[string]User, len(users))
	for _, u := range users {
		if p := CheckUser(u); len(p) > 0 {
			return nil, fmt.Errorf("admin: user %q: %s", u.Name, strings.Join(p, "; "))
		}
		if _, dup := m[u.Name]; dup {
			return nil, fmt.Errorf("admin: user %q is listed twice", u.Name)
		}
		m[u.Name] = u
	}
	return m, nil
}

// dummyHash is compared against when the user is unknown, so that a
// refusal takes as long for an unknown user as for a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("docbridge-no-such-user"), bcrypt.DefaultCost)

// authenticate checks a name and password against the local users.
func (s *Server) authenticate(name, password string) (User, bool) {
	u, ok := s.users[name]
	hash := []byte(u.PasswordHash)
	if !ok || u.PasswordHash == "" {
		hash = dummyHash
	}
	err := bcrypt.CompareHashAndPassword(hash, []byte(password))
	return u, ok && u.PasswordHash != "" && err == nil
}

// proxyUser returns the user a trusted proxy names in the request, if the
// request comes from a trusted proxy and names a configured user.
func (s *Server) proxyUser(r *http.Request) (User, bool) {
	if s.o.TrustedHeader == "" {
		return User{}, false
	}
	name := r.Header.Get(s.o.TrustedHeader)
	if name == "" {
		return User{}, false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return User{}, false
	}
	u, ok := s.users[name]
	return u, ok && s.trustedProxy(ap.Addr())
}

// ctxKey keys the request's session in its context.
type ctxKey struct{}

// current returns the session authed put in the request's context.
func current(r *http.Request) *session {
	s, _ := r.Context().Value(ctxKey{}).(*session)
	return s
}

// actor returns the audit actor of the request's user.
func actor(r *http.Request) string { return "user:" + current(r).user }

// authed wraps h: the request needs a live session (or a trusted proxy's
// user) with a role granting need, and a POST needs the session's CSRF
// token. Without a session a GET is redirected to the login page and a
// POST refused with 401; a missing or wrong token or role is 403.
func (s *Server) authed(need Role, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := s.sessionOf(r)
		if u, ok := s.proxyUser(r); ok && (sess == nil || sess.user != u.Name) {
			sess = s.sessions.start(u.Name, u.Role)
			s.setCookie(w, sess)
			s.audit(r.Context(), "user:"+u.Name, 0, "console sign-in through the trusted proxy header")
		}
		if sess == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "sign in first", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost && !tokenEqual(r.PostFormValue(csrfField), sess.csrf) {
			http.Error(w, "missing or wrong CSRF token: reload the page and try again", http.StatusForbidden)
			return
		}
		if !sess.role.may(need) {
			s.o.Log.Warn().Str("user", sess.user).Str("path", r.URL.Path).Msg("console action refused: role")
			http.Error(w, "your role ("+string(sess.role)+") does not allow this", http.StatusForbidden)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess)))
	})
}

// loginPage shows the sign-in form with a fresh CSRF token bound to a
// pre-login cookie.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.showLogin(w, r, "", http.StatusOK)
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, problem string, status int) {
	tok := randomToken()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: tok, Path: "/login", MaxAge: 600,
		HttpOnly: true, Secure: s.secure(), SameSite: http.SameSiteStrictMode})
	s.render(w, r, status, "login", map[string]any{"CSRF": tok, "Next": safeNext(r.FormValue("next")), "Problem": problem})
}

// login checks the form's CSRF token against the pre-login cookie, then the
// sign-in throttle (see ThrottleOptions), then the user's password, and
// starts a session. A locked attempt is refused with 429 and Retry-After
// without the password being looked at. Refusals are audited once per
// account and address until it is forgotten, then once per lock, so that
// an attacker cannot grow the audit trail by guessing.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCookie)
	if err != nil || !tokenEqual(r.PostFormValue(csrfField), c.Value) {
		http.Error(w, "missing or wrong CSRF token: reload the sign-in page", http.StatusForbidden)
		return
	}
	name := r.PostFormValue("user")
	_, known := s.users[name]
	addr, ok := s.clientAddr(r)
	if !ok {
		http.Error(w, "the client address cannot be read", http.StatusBadRequest)
		return
	}
	keys := s.throttle.keys(name, known, addr)
	if until, ok := s.throttle.begin(keys); !ok {
		wait := until.Sub(s.o.Now())
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		s.showLogin(w, r, fmt.Sprintf("Too many failed sign-ins for this account or from this address: try again in %s, or ask another administrator.", roundUp(wait)), http.StatusTooManyRequests)
		return
	}
	u, ok := s.authenticate(name, r.PostFormValue("password"))
	if !ok {
		who := "anonymous"
		if known {
			who = "user:" + name
		}
		first, locks := s.throttle.fail(keys)
		if first {
			s.audit(r.Context(), who, 0, "console sign-in refused from "+addr.String()+" (later refusals are audited when they lock the sign-in)")
			s.o.Log.Warn().Bool("known_user", known).Str("client", addr.String()).Msg("console sign-in refused")
		}
		for _, l := range locks {
			msg := fmt.Sprintf("console sign-in locked for %s by %d failures (%s) from %s", l.For, l.Failures, l.Kind, addr)
			s.audit(r.Context(), who, 0, msg)
			s.o.Log.Warn().Bool("known_user", known).Str("client", addr.String()).Str("lock", l.Kind).Dur("for", l.For).Msg("console sign-in locked")
		}
		s.showLogin(w, r, "Unknown user or wrong password.", http.StatusUnauthorized)
		return
	}
	s.throttle.succeed(keys)
	if old := s.sessionOf(r); old != nil {
		s.sessions.end(old.id)
	}
	sess := s.sessions.start(u.Name, u.Role)
	s.setCookie(w, sess)
	s.clearCookie(w, loginCookie)
	s.audit(r.Context(), "user:"+u.Name, 0, "console sign-in")
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// roundUp says d in whole seconds or minutes, rounded up.
func roundUp(d time.Duration) string {
	if d <= time.Minute {
		return fmt.Sprintf("%d seconds", int(d.Seconds())+1)
	}
	return fmt.Sprintf("%d minutes", int(d.Minutes())+1)
}

// logout ends the session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	sess := current(r)
	s.sessions.end(sess.id)
	s.clearCookie(w, sessionCookie)
	s.audit(r.Context(), actor(r), 0, "console sign-out")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// audit records an action through Options.Audit; a failure is logged, not
// shown: the action itself already happened or changed nothing.
func (s *Server) audit(ctx context.Context, actor string, docID int64, msg string) {
	if err := s.o.Audit(ctx, actor, docID, msg); err != nil {
		s.o.Log.Error().Err(err).Msg("audit of a console action failed")
	}
}
