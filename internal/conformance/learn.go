package conformance

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// learn registers with the Redactor the secrets and identities an exchange
// carries, before anything is shown: the bearer token it sent, secret form
// and query parameters, tokens in a JSON answer, the code in a redirect,
// cookies, and the names, birth dates and INS of any JSON it holds.
func (r *Redactor) learn(rec *record) {
	for _, v := range rec.reqHead.Values("Authorization") {
		if _, cred, ok := strings.Cut(v, " "); ok {
			r.Secret(strings.TrimSpace(cred))
		}
	}
	r.learnURL(rec.url)
	for _, c := range rec.respHead.Values("Set-Cookie") {
		if _, v, ok := strings.Cut(strings.SplitN(c, ";", 2)[0], "="); ok {
			r.Secret(v)
		}
	}
	for _, c := range rec.reqHead.Values("Cookie") {
		for _, kv := range strings.Split(c, ";") {
			if _, v, ok := strings.Cut(kv, "="); ok {
				r.Secret(v)
			}
		}
	}
	r.learnURL(rec.respHead.Get("Location"))
	body, _ := rec.reqBody.bytes()
	r.learnBody(rec.reqHead.Get("Content-Type"), body)
	r.learnBody(rec.respHead.Get("Content-Type"), rec.respBody)
}

func (r *Redactor) learnURL(raw string) {
	if u, err := url.Parse(raw); err == nil {
		r.learnValues(u.Query())
	}
}

func (r *Redactor) learnValues(q url.Values) {
	for k, vs := range q {
		if secretParams[k] {
			r.Secret(vs...)
		}
	}
}

func (r *Redactor) learnBody(contentType string, b []byte) {
	if len(b) == 0 {
		return
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "application/x-www-form-urlencoded":
		if q, err := url.ParseQuery(string(b)); err == nil {
			r.learnValues(q)
		}
	case strings.HasSuffix(mt, "json") || json.Valid(b):
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			r.learnJSON("", v)
		}
	}
}

// learnJSON registers the string values of secret and identity members,
// and the values of INS identifiers.
func (r *Redactor) learnJSON(key string, v any) {
	switch x := v.(type) {
	case map[string]any:
		if isINSIdentifier(x) {
			if s, ok := x["value"].(string); ok {
				r.Secret(s)
			}
		}
		for k, e := range x {
			r.learnJSON(k, e)
		}
	case []any:
		for _, e := range x {
			r.learnJSON(key, e)
		}
	case string:
		switch {
		case secretMembers[key]:
			r.Secret(x)
		case patientKeys[key]:
			r.Secret(x)
			r.Secret(strings.FieldsFunc(x, func(c rune) bool { return c == ' ' || c == '-' })...)
			if key == "birthDate" {
				r.Secret(strings.ReplaceAll(x, "-", ""))
			}
		}
	}
}

// exchange is rec as the report shows it: redacted.
func (r *Redactor) exchange(rec *record) Exchange {
	body, size := rec.reqBody.bytes()
	e := Exchange{
		Started:         rec.started.UTC(),
		DurationMS:      float64(rec.duration.Microseconds()) / 1000,
		Method:          rec.method,
		URL:             r.URL(rec.url),
		RequestHeaders:  r.Headers(rec.reqHead),
		RequestBody:     r.Body(rec.reqHead.Get("Content-Type"), body, size),
		Status:          rec.status,
		ResponseHeaders: r.Headers(rec.respHead),
		ResponseBody:    r.Body(rec.respHead.Get("Content-Type"), rec.respBody, rec.respSize),
		Error:           r.Text(rec.err),
	}
	if rec.status != 0 {
		e.StatusText = http.StatusText(rec.status)
	}
	return e
}
