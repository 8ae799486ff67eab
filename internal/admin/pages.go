package admin

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticRoot embed.FS

// staticFS serves /static/… from the embedded static directory.
var staticFS fs.FS = staticRoot

// pages holds one template set per page, each with the layout.
type pages struct {
	byName map[string]*template.Template
}

// pageNames are the pages; each is templates/NAME.html defining "content".
var pageNames = []string{"login", "dashboard", "documents", "document", "pairings", "error"}

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"creation": creation,
	"age":      age,
	"join":     strings.Join,
	"dash": func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	},
}

// creation renders a document's own creation date (metadata creation, an
// ISO 8601 date or date-time) in its own offset, to the minute; a value
// that does not parse is shown as it is, an empty one as "—".
func creation(s string) string {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			if len(s) <= len("2006-01-02") {
				return t.Format("2006-01-02")
			}
			return t.Format("2006-01-02 15:04")
		}
	}
	if s == "" {
		return "—"
	}
	return s
}

// age renders a duration for people: "3 h 12 min", "45 s".
func age(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
}

// parsePages parses the layout with each page.
func parsePages() (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("admin: parse page %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// view is what every page gets: the signed-in user and the page's data.
type view struct {
	Title string
	User  string
	Role  Role
	CSRF  string
	Data  any
}

// render executes page name with data into a buffer, then writes it with
// status: a template error is a 500, never half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	v := view{Title: name, Data: data}
	if sess := current(r); sess != nil {
		v.User, v.Role, v.CSRF = sess.user, sess.role, sess.csrf
	}
	var buf bytes.Buffer
	if err := s.pages.byName[name].Execute(&buf, v); err != nil {
		s.o.Log.Error().Err(err).Str("page", name).Msg("render console page")
		http.Error(w, "the page could not be rendered; see the daemon log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail shows an error page with status and a message without patient data.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "error", map[string]any{"Status": status, "Message": msg})
}
