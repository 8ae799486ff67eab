package messim

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// The resource as the simulator answers it: identifiers, status, type and
// where the content is. It carries no patient data beyond the MES patient
// reference.

type outCoding struct {
	System string `json:"system,omitempty"`
	Code   string `json:"code"`
}

type outConcept struct {
	Coding []outCoding `json:"coding"`
}

type outIdentifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type outReference struct {
	Reference  string         `json:"reference,omitempty"`
	Identifier *outIdentifier `json:"identifier,omitempty"`
}

type outRelatesTo struct {
	Code   string       `json:"code"`
	Target outReference `json:"target"`
}

type outAttachment struct {
	ContentType string `json:"contentType"`
	URL         string `json:"url"`
	Size        int64  `json:"size"`
	Hash        string `json:"hash"`
	Title       string `json:"title,omitempty"`
	Creation    string `json:"creation,omitempty"`
}

type outExtension struct {
	URL          string `json:"url"`
	ValueBoolean bool   `json:"valueBoolean"`
}

type outContent struct {
	Attachment outAttachment `json:"attachment"`
}

type outMeta struct {
	VersionID   string `json:"versionId"`
	LastUpdated string `json:"lastUpdated"`
}

type outDocRef struct {
	ResourceType     string         `json:"resourceType"`
	ID               string         `json:"id"`
	Meta             outMeta        `json:"meta"`
	Extension        []outExtension `json:"extension,omitempty"`
	MasterIdentifier outIdentifier  `json:"masterIdentifier"`
	Status           string         `json:"status"`
	Type             *outConcept    `json:"type,omitempty"`
	Subject          outReference   `json:"subject"`
	RelatesTo        []outRelatesTo `json:"relatesTo,omitempty"`
	Content          []outContent   `json:"content"`
}

// resource renders rec as answered under base. A deleted document is
// entered-in-error in the mes-api view, and superseded with the extension
// pdsm-ext-is-deleted in the PDSm view (pdsm).
func resource(base string, rec Stored, created time.Time, hash, title, creation string, pdsm bool) outDocRef {
	d := outDocRef{
		ResourceType:     "DocumentReference",
		ID:               rec.MESID,
		Meta:             outMeta{VersionID: "1", LastUpdated: created.Format(time.RFC3339Nano)},
		MasterIdentifier: outUniqueID(rec.UniqueID),
		Status:           fhirStatus(rec.Status),
		Subject:          outReference{Reference: "Patient/" + rec.Patient},
		Content: []outContent{{Attachment: outAttachment{
			ContentType: rec.ContentType, URL: base + "/Binary/" + rec.MESID, Size: rec.Size, Hash: hash,
			Title: title, Creation: creation,
		}}},
	}
	if pdsm && rec.Status == "deleted" {
		d.Status = "superseded"
		d.Extension = []outExtension{{URL: urlIsDeleted, ValueBoolean: true}}
	}
	if rec.TypeCode != "" {
		d.Type = &outConcept{Coding: []outCoding{{System: rec.TypeSystem, Code: rec.TypeCode}}}
	}
	if rec.Replaces != "" {
		d.RelatesTo = []outRelatesTo{{Code: "replaces", Target: outReference{Identifier: ptr(outUniqueID(rec.Replaces))}}}
	}
	return d
}

// fhirStatus maps the simulator's status to DocumentReference.status.
func fhirStatus(s string) string {
	if s == "deleted" {
		return "entered-in-error"
	}
	return s
}

// baseURL is the absolute base of the API as r reached it (the handler may
// be mounted under a prefix).
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	path := r.URL.Path
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
		path = u.Path
	}
	for _, suffix := range []string{"/DocumentReference", "/Binary/" + r.PathValue("id")} {
		path = strings.TrimSuffix(path, suffix)
	}
	return scheme + "://" + r.Host + path
}

// answer writes rec with Location, and as the body unless the client asked
// for Prefer: return=minimal.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, status int, rec Stored) {
	base := baseURL(r)
	s.mu.Lock()
	full := s.byID[rec.MESID]
	s.mu.Unlock()
	w.Header().Set("Location", base+"/DocumentReference/"+rec.MESID+"/_history/1")
	w.Header().Set("ETag", `W/"1"`)
	if strings.Contains(r.Header.Get("Prefer"), "return=minimal") {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, resource(base, rec, full.created, hashOf(rec.SHA1), full.title, full.creation, false))
}

type searchEntry struct {
	FullURL  string     `json:"fullUrl"`
	Resource outDocRef  `json:"resource"`
	Search   entryMatch `json:"search"`
}

type entryMatch struct {
	Mode string `json:"mode"`
}

type outLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

type searchset struct {
	ResourceType string        `json:"resourceType"`
	Type         string        `json:"type"`
	Total        int           `json:"total"`
	Link         []outLink     `json:"link,omitempty"`
	Entry        []searchEntry `json:"entry"`
}

// search handles GET /DocumentReference: a searchset of the token's
// patient's documents. The patient is patient:identifier=<system>|<INS>
// (mes-api) or patient.identifier (PDSm ITI-67, which also requires status
// and never finds deleted documents). Optional: status (comma-separated),
// identifier, type (<system>|<code>), _count and _offset; a page that
// stops short of the total links to the next.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	g, p := s.authorize(r)
	if p != nil {
		s.fail(w, r, p)
		return
	}
	q := r.URL.Query()
	pid, pdsm := q.Get("patient:identifier"), false
	if pid == "" {
		pid, pdsm = q.Get("patient.identifier"), true
	}
	sys, val, _ := cutToken(pid)
	count, cerr := strconv.Atoi(q.Get("_count"))
	offset, oerr := strconv.Atoi(q.Get("_offset"))
	var want *identifier
	if q.Has("identifier") {
		isys, ival, _ := cutToken(q.Get("identifier"))
		want = &identifier{System: isys, Value: ival}
	}
	tsys, tcode, tok := cutToken(q.Get("type"))
	switch {
	case pid == "":
		p = &problem{status: http.StatusBadRequest, code: "required", diag: "the patient:identifier (or patient.identifier) parameter is required"}
	case oidURI(sys) != g.insSystem || val != g.ins:
		p = &problem{status: http.StatusForbidden, code: "forbidden", diag: "patient:identifier is not the patient this access token was issued for"}
	case pdsm && q.Get("status") == "":
		p = &problem{status: http.StatusBadRequest, code: "required", diag: "an ITI-67 search needs the status parameter"}
	case q.Has("_count") && (cerr != nil || count < 0), q.Has("_offset") && (oerr != nil || offset < 0):
		p = &problem{status: http.StatusBadRequest, code: "value", diag: "_count and _offset must be non-negative integers"}
	case want != nil && checkUniqueID(want, "identifier") != nil:
		p = &problem{status: http.StatusBadRequest, code: "value", diag: "identifier must be a document unique id: urn:ietf:rfc:3986|urn:oid:… or urn:oid:<root>|<extension>"}
	case q.Has("type") && (!tok || tcode == ""):
		p = &problem{status: http.StatusBadRequest, code: "value", diag: "type must be <system>|<code>"}
	}
	if p != nil {
		s.fail(w, r, p)
		return
	}
	statuses := map[string]bool{}
	for _, st := range strings.Split(q.Get("status"), ",") {
		if st != "" {
			statuses[st] = true
		}
	}
	base := baseURL(r)
	b := searchset{ResourceType: "Bundle", Type: "searchset", Entry: []searchEntry{}}
	s.mu.Lock()
	for _, rec := range s.order {
		switch {
		case rec.Patient != g.mesID,
			pdsm && rec.Status == "deleted",
			len(statuses) > 0 && !statuses[fhirStatus(rec.Status)],
			want != nil && rec.UniqueID != uniqueKey(want),
			q.Has("type") && (rec.TypeCode != tcode || oidURI(rec.TypeSystem) != oidURI(tsys)):
			continue
		}
		b.Total++
		if b.Total <= offset || q.Has("_count") && len(b.Entry) >= count {
			continue
		}
		b.Entry = append(b.Entry, searchEntry{
			FullURL:  base + "/DocumentReference/" + rec.MESID,
			Resource: resource(base, rec.Stored, rec.created, hashOf(rec.SHA1), rec.title, rec.creation, pdsm),
			Search:   entryMatch{Mode: "match"},
		})
	}
	s.mu.Unlock()
	if next := offset + len(b.Entry); q.Has("_count") && count > 0 && next < b.Total {
		q.Set("_offset", strconv.Itoa(next))
		b.Link = []outLink{{Relation: "next", URL: base + "/DocumentReference?" + q.Encode()}}
	}
	writeJSON(w, http.StatusOK, b)
}

// binary handles GET /Binary/{id}: the stored bytes of one of the token's
// patient's documents (404 for others, 410 once deleted).
func (s *Server) binary(w http.ResponseWriter, r *http.Request) {
	g, p := s.authorize(r)
	if p != nil {
		s.fail(w, r, p)
		return
	}
	s.mu.Lock()
	rec := s.byID[r.PathValue("id")]
	var st Stored
	var data []byte
	var path string
	if rec != nil {
		st, data, path = rec.Stored, rec.content, rec.path
	}
	s.mu.Unlock()
	switch {
	case rec == nil || st.Patient != g.mesID:
		s.fail(w, r, &problem{status: http.StatusNotFound, code: "not-found", diag: "no such document for this patient"})
		return
	case st.Status == "deleted":
		s.fail(w, r, &problem{status: http.StatusGone, code: "deleted", diag: "the document was deleted"})
		return
	}
	var body io.Reader = bytes.NewReader(data)
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			s.fail(w, r, &problem{status: http.StatusInternalServerError, code: "exception", diag: "the simulator cannot read content"})
			return
		}
		defer f.Close()
		body = f
	}
	w.Header().Set("Content-Type", st.ContentType)
	w.Header().Set("Content-Length", strconv.FormatInt(st.Size, 10))
	w.WriteHeader(http.StatusOK)
	io.Copy(w, body)
}

// cutToken splits a FHIR token "system|value"; ok is false without "|".
func cutToken(t string) (system, value string, ok bool) {
	system, value, ok = strings.Cut(t, "|")
	if !ok {
		return "", t, false
	}
	return system, value, true
}

// hashOf returns the FHIR hash (base64 of the SHA-1) of a hex SHA-1.
func hashOf(sha1hex string) string {
	b, _ := hex.DecodeString(sha1hex)
	return base64.StdEncoding.EncodeToString(b)
}

// outUniqueID writes a unique id back as the client sent it: a URI, or an
// OID root's extension.
func outUniqueID(key string) outIdentifier {
	if root, ext, ok := strings.Cut(key, "^"); ok && !strings.HasPrefix(key, "urn:") {
		return outIdentifier{System: "urn:oid:" + root, Value: ext}
	}
	return outIdentifier{System: "urn:ietf:rfc:3986", Value: key}
}

func ptr[T any](v T) *T { return &v }
