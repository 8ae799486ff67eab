package fhir

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/docbridge/docbridge"
)

// head is what every resource is first read for: samply's models do not
// check resourceType and drop contained (docs/sources.md §5), so
// both are read in a raw encoding/json pass.
type head struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id"`
	Contained    []json.RawMessage `json:"contained"`
}

// readHead reads a resource's type, id and contained resources.
func readHead(raw []byte) (head, error) {
	var h head
	if err := json.Unmarshal(raw, &h); err != nil {
		return head{}, malformed("the input", err)
	}
	return h, nil
}

// resource is a resource of the input found by a reference.
type resource struct {
	Type string
	Raw  json.RawMessage
}

// resolver finds the resources references point to: a contained resource
// ("#id") of the resource being read, or an entry of the Bundle being read
// (by fullUrl, "Type/id" or an absolute URL ending in Type/id).
type resolver struct {
	contained map[string]resource // by id
	entries   map[string]resource // by fullUrl and by "Type/id"
	ambiguous map[string]bool     // "Type/id" keys that two entries share: resolved by nobody
}

// withContained returns a resolver that also knows the contained
// resources of one resource. Contained resources whose head cannot be read
// are skipped: the samply pass over the same bytes reports them.
func (r *resolver) withContained(contained []json.RawMessage) *resolver {
	out := &resolver{contained: map[string]resource{}, entries: nil}
	if r != nil {
		out.entries, out.ambiguous = r.entries, r.ambiguous
	}
	for _, c := range contained {
		var h head
		if json.Unmarshal(c, &h) == nil && h.ID != "" {
			out.contained[h.ID] = resource{Type: h.ResourceType, Raw: c}
		}
	}
	return out
}

// addEntry records a Bundle entry under its fullUrl and its Type/id.
func (r *resolver) addEntry(fullURL string, res resource, id string) {
	if r.entries == nil {
		r.entries = map[string]resource{}
	}
	if fullURL != "" {
		r.entries[fullURL] = res
	}
	if id == "" {
		return
	}
	key := res.Type + "/" + id
	if _, dup := r.entries[key]; dup {
		// Two entries of one type and id (from two servers): a relative
		// reference to it could mean either, so it means neither.
		if r.ambiguous == nil {
			r.ambiguous = map[string]bool{}
		}
		r.ambiguous[key] = true
	}
	r.entries[key] = res
}

// resolve returns the resource ref names, or false when it is not in the
// input (a reference to a server, a conditional reference).
func (r *resolver) resolve(ref string) (resource, bool) {
	if r == nil || ref == "" {
		return resource{}, false
	}
	if id, ok := strings.CutPrefix(ref, "#"); ok {
		res, found := r.contained[id]
		return res, found
	}
	// An absolute URL resolves only to the entry of that fullUrl (FHIR
	// bundle reference rules): another server's Patient/1 is not this
	// bundle's Patient/1.
	if res, ok := r.entries[ref]; ok && !r.ambiguous[ref] {
		return res, true
	}
	return resource{}, false
}

// conditional reads a conditional reference by identifier,
// "Patient?identifier=<system>|<value>" (the PDSm form of a subject known
// by its INS), into its system and value.
func conditional(ref, resourceType string) (system, value string, ok bool) {
	q, found := strings.CutPrefix(ref, resourceType+"?")
	if !found {
		return "", "", false
	}
	vals, err := url.ParseQuery(q)
	if err != nil {
		return "", "", false
	}
	system, value, ok = strings.Cut(vals.Get("identifier"), "|")
	return system, value, ok && value != ""
}

// malformed describes a JSON or samply decoding error of what without
// quoting values: samply's enum errors quote the code in backticks.
func malformed(what string, err error) error {
	return docbridge.Errorf(docbridge.Malformed, "%s is not valid FHIR R4 JSON: %s", what, describeJSON(err))
}

var (
	samplyCode = regexp.MustCompile("unknown ([A-Za-z]+) code `[^`]*`")
	quoted     = regexp.MustCompile("`[^`]*`")
)

// describeJSON says what is wrong with a JSON input without quoting it.
func describeJSON(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn) && syn.Error() == "unexpected end of JSON input":
		return "the JSON ends before it is complete"
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("a JSON %s where an object is expected", typ.Value)
		}
		return fmt.Sprintf("%s must not be a JSON %s", clip(typ.Field, 80), typ.Value)
	}
	msg := samplyCode.ReplaceAllString(err.Error(), "a $1 code that FHIR R4 does not define")
	return clip(quoted.ReplaceAllString(msg, "a value"), 160)
}

// clip shortens s for a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// str returns *p, or "".
func str(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}
