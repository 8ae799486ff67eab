package conformance

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/traits"
)

// masked replaces whatever the report must not show.
const masked = "[masqué]"

// secretParams are the form and query parameters whose values are secret:
// OAuth2 tokens, codes, PKCE values, client secrets, state (docbridge's own
// pairing flow seals the PKCE verifier in it), and a consent page's
// request id and CSRF token.
var secretParams = map[string]bool{
	"access_token": true, "refresh_token": true, "id_token": true, "token": true,
	"code": true, "code_verifier": true, "code_challenge": true, "client_secret": true,
	"state": true, "csrf": true, "request": true, "assertion": true, "client_assertion": true,
}

// secretMembers are the JSON members whose values are secret (OAuth2
// token answers, client registrations).
var secretMembers = map[string]bool{
	"access_token": true, "refresh_token": true, "id_token": true, "client_secret": true, "code_verifier": true,
}

// patientKeys are the JSON members that carry a person's identity (FHIR
// HumanName, Patient.birthDate, docbridge.Patient's own names).
var patientKeys = map[string]bool{
	"family": true, "given": true, "birthDate": true, "birthName": true, "firstNames": true,
	"birthPlace": true, "ins": true, "prefix": true, "suffix": true,
}

// longDigits matches numbers as long as an INS or NIR.
var longDigits = regexp.MustCompile(`[0-9]{13,}`)

// Redactor scrubs secrets and patient data from what the report shows. It
// knows the strings registered with Secret and Patient and learns more
// from the traffic itself (tokens MES grants, the identity it returns);
// beyond known strings it masks by structure: secret parameters and JSON
// members, names and birth dates in JSON, any number of 13 digits or more,
// and every document content. It is safe for concurrent use.
type Redactor struct {
	mu    sync.Mutex
	known map[string]bool
	re    *regexp.Regexp
	stale bool
}

// NewRedactor returns a Redactor that knows nothing yet.
func NewRedactor() *Redactor {
	return &Redactor{known: map[string]bool{}}
}

// Secret registers strings never to show, wherever they appear
// (case-insensitive). Strings shorter than 3 characters are ignored.
func (r *Redactor) Secret(ss ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range ss {
		s = strings.TrimSpace(s)
		if len([]rune(s)) < 3 || r.known[strings.ToLower(s)] {
			continue
		}
		r.known[strings.ToLower(s)] = true
		r.stale = true
	}
}

// Patient registers a person's identity: the INS, the names (each first
// name whole and word by word), the birth date in both forms, the
// birthplace and local ids.
func (r *Redactor) Patient(p docbridge.Patient) {
	words := []string{p.INS, p.BirthName, p.BirthDate, strings.ReplaceAll(p.BirthDate, "-", ""), p.BirthPlace}
	for _, f := range p.FirstNames {
		words = append(words, f)
		words = append(words, strings.FieldsFunc(f, func(r rune) bool { return r == ' ' || r == '-' })...)
	}
	for _, id := range p.LocalIDs {
		words = append(words, id.Value)
	}
	r.Secret(words...)
}

// Text returns s with every known string and every long number masked,
// and control characters other than newlines and tabs replaced by spaces.
func (r *Redactor) Text(s string) string {
	s = strings.Map(func(c rune) rune {
		if unicode.IsControl(c) && c != '\n' && c != '\t' {
			return ' '
		}
		return c
	}, s)
	if re := r.regexp(); re != nil {
		s = re.ReplaceAllString(s, masked)
	}
	return longDigits.ReplaceAllString(s, masked)
}

func (r *Redactor) regexp() *regexp.Regexp {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stale {
		alts := make([]string, 0, len(r.known))
		for k := range r.known {
			alts = append(alts, regexp.QuoteMeta(k))
		}
		sort.Slice(alts, func(i, j int) bool {
			return len(alts[i]) > len(alts[j]) || len(alts[i]) == len(alts[j]) && alts[i] < alts[j]
		})
		r.re, r.stale = nil, false
		if len(alts) > 0 {
			r.re = regexp.MustCompile(`(?i)` + strings.Join(alts, "|"))
		}
	}
	return r.re
}

// URL returns a URL for display: its query decoded, secret parameters
// masked, then Text.
func (r *Redactor) URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return r.Text(raw)
	}
	q := u.Query()
	u.RawQuery = ""
	s := u.String()
	if len(q) > 0 {
		s += "?" + displayValues(q)
	}
	return r.Text(s)
}

// displayValues renders parameters unescaped, sorted, secret ones masked.
func displayValues(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		for _, v := range q[k] {
			if secretParams[k] {
				v = masked
			}
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, "&")
}

// Headers returns h for display, sorted by name: credentials masked
// (Authorization keeps its scheme), cookies masked, the rest through Text.
func (r *Redactor) Headers(h http.Header) []Header {
	var out []Header
	for name, vs := range h {
		for _, v := range vs {
			switch http.CanonicalHeaderKey(name) {
			case "Authorization", "Proxy-Authorization":
				scheme, _, _ := strings.Cut(v, " ")
				v = scheme + " " + masked
			case "Cookie", "Set-Cookie":
				v = masked
			case "Location", "Content-Location":
				v = r.URL(v)
			default:
				v = r.Text(v)
			}
			out = append(out, Header{Name: http.CanonicalHeaderKey(name), Value: v})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Body returns a body for display given its Content-Type: JSON indented
// with secret and identity members and attachment data masked, a form
// with secret parameters masked, XML and text through Text, anything else
// (a document's content) as its size and SHA-1 only. size is the whole
// body's size when only a part of it was captured.
func (r *Redactor) Body(contentType string, b []byte, size int64) string {
	if len(b) == 0 {
		return ""
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	cut := ""
	if size > int64(len(b)) {
		cut = fmt.Sprintf("\n[… %d octets de plus non conservés]", size-int64(len(b)))
	}
	switch {
	case strings.HasSuffix(mt, "json") || mt == "" && json.Valid(b):
		if s, ok := r.json(b); ok {
			return r.Text(s) + cut
		}
		return r.Text(string(b)) + cut
	case mt == "application/x-www-form-urlencoded":
		q, err := url.ParseQuery(string(b))
		if err != nil {
			return masked
		}
		return r.Text(displayValues(q))
	case strings.HasSuffix(mt, "xml") || strings.HasPrefix(mt, "text/"):
		return r.Text(string(b)) + cut
	}
	sum := sha1.Sum(b)
	if size > int64(len(b)) {
		return fmt.Sprintf("[contenu masqué : %d octets, type %s]", size, mt)
	}
	return fmt.Sprintf("[contenu masqué : %d octets, type %s, SHA-1 %s]", size, mt, hex.EncodeToString(sum[:]))
}

// json re-renders a JSON document with secret and identity members masked.
func (r *Redactor) json(b []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return "", false
	}
	v = maskJSON("", v)
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if enc.Encode(v) != nil {
		return "", false
	}
	return strings.TrimRight(out.String(), "\n"), true
}

// maskJSON masks the value of a member named key, and walks into objects
// and arrays.
func maskJSON(key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		if isINSIdentifier(x) {
			x["value"] = masked
		}
		for k, e := range x {
			x[k] = maskJSON(k, e)
		}
		return x
	case []any:
		if patientKeys[key] {
			return masked
		}
		for i, e := range x {
			x[i] = maskJSON(key, e)
		}
		return x
	case string:
		switch {
		case key == "data":
			return fmt.Sprintf("[contenu masqué : %d caractères base64]", len(x))
		case secretMembers[key] || patientKeys[key]:
			return masked
		}
	}
	return v
}

// isINSIdentifier reports whether a JSON object is an identifier in an INS
// system.
func isINSIdentifier(o map[string]any) bool {
	sys, _ := o["system"].(string)
	return sys != "" && traits.IsINSSystem(sys)
}
