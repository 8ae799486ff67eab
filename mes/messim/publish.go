package messim

import (
	"bytes"
	"encoding/hex"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// publish handles POST /DocumentReference: one document, content inline.
func (s *Server) publish(w http.ResponseWriter, r *http.Request) {
	g, c, ok := s.startUpload(w, r)
	if !ok {
		return
	}
	defer c.discard()
	sub, p := parse(r.Body, c)
	if p == nil {
		p = sub.check(s.o.Codes)
	}
	if p == nil {
		p = sub.checkSubject(g)
	}
	if p == nil {
		p = sub.checkContent()
	}
	if p != nil {
		s.fail(w, r, p)
		return
	}
	status, rec, p := s.commit(g, sub, c)
	if p != nil {
		s.fail(w, r, p)
		return
	}
	if status == http.StatusOK {
		w.Header().Set("X-MES-Duplicate", "true")
	}
	s.answer(w, r, status, rec)
}

// commit files a checked submission: 201 with a new record, 200 with the
// existing one for a resend, or a problem (409, 422).
func (s *Server) commit(g grant, sub *submission, c *upload) (int, Stored, *problem) {
	d := &sub.doc
	uid := uniqueKey(d.MasterIdentifier)
	sum := hex.EncodeToString(sub.sum)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.docs[uid]; old != nil {
		if old.Patient == g.mesID && old.SHA1 == sum {
			old.History = append(old.History, "resend")
			return http.StatusOK, old.Stored, nil
		}
		return 0, Stored{}, &problem{status: http.StatusConflict, code: "duplicate", expr: dr + "masterIdentifier",
			diag: "masterIdentifier is already used by another document or with other content"}
	}
	var prev *record
	if len(d.RelatesTo) == 1 {
		replaced, _ := replacedID(d.RelatesTo[0].Target, sub.profile == profilePDSm) // checked already
		prev = s.docs[uniqueKey(replaced)]
		const expr = dr + "relatesTo[0].target.identifier"
		if prev == nil || prev.Patient != g.mesID {
			return 0, Stored{}, invalid("not-found", expr, "no document of this patient has the masterIdentifier to replace")
		}
		if prev.Status != "current" {
			return 0, Stored{}, invalid("business-rule", expr, "the document to replace is %s, not current", prev.Status)
		}
	}
	rec := &record{Stored: Stored{
		UniqueID:    uid,
		MESID:       newID(),
		Patient:     g.mesID,
		SHA1:        sum,
		Size:        sub.size,
		ContentType: d.Content[0].Attachment.ContentType,
		Status:      "current",
		Profile:     sub.profile,
		History:     []string{"create"},
	}, created: time.Now().UTC(), title: d.Content[0].Attachment.Title, creation: d.Content[0].Attachment.Creation}
	for _, cd := range d.Type.Coding {
		if cd.Code != "" {
			rec.TypeSystem, rec.TypeCode = cd.System, cd.Code
			break
		}
	}
	if err := c.keep(s.o.Dir, rec); err != nil {
		return 0, Stored{}, &problem{status: http.StatusInternalServerError, code: "exception", diag: "the simulator cannot store content"}
	}
	if prev != nil {
		prev.Status = "superseded"
		prev.History = append(prev.History, "superseded")
		rec.Replaces = prev.UniqueID
		rec.History = []string{"replace"}
	}
	s.docs[uid] = rec
	s.byID[rec.MESID] = rec
	s.order = append(s.order, rec)
	return http.StatusCreated, rec.Stored, nil
}

// delete handles DELETE /DocumentReference?identifier=urn:ietf:rfc:3986|<uniqueId>:
// 204 and the document is deleted; 204 with X-MES-Duplicate when it already
// was; 404 when the patient has no such document.
func (s *Server) delete(w http.ResponseWriter, r *http.Request) {
	g, p := s.authorize(r)
	if p != nil {
		s.fail(w, r, p)
		return
	}
	sys, val, _ := cutToken(r.URL.Query().Get("identifier"))
	switch {
	case val == "":
		p = &problem{status: http.StatusBadRequest, code: "required", diag: "the identifier parameter is required"}
	default:
		p = checkUniqueID(&identifier{System: sys, Value: val}, "identifier")
	}
	if p != nil {
		s.fail(w, r, p)
		return
	}
	s.mu.Lock()
	rec := s.docs[uniqueKey(&identifier{System: sys, Value: val})]
	again := false
	if rec != nil && rec.Patient == g.mesID {
		again = rec.Status == "deleted"
		if again {
			rec.History = append(rec.History, "delete-again")
		} else {
			rec.Status = "deleted"
			rec.History = append(rec.History, "delete")
		}
	}
	s.mu.Unlock()
	if rec == nil || rec.Patient != g.mesID {
		s.fail(w, r, &problem{status: http.StatusNotFound, code: "not-found", diag: "no document of this patient has this identifier"})
		return
	}
	if again {
		w.Header().Set("X-MES-Duplicate", "true")
	}
	w.WriteHeader(http.StatusNoContent)
}

// upload receives decoded document bytes during parsing: in memory, or in
// a temporary file of Options.Dir.
type upload struct {
	mem  bytes.Buffer
	f    *os.File
	kept bool
}

// startUpload is what every POST of a document checks first: the token,
// the FHIR JSON Content-Type and the body limit; it then opens the upload
// the content will stream into (the caller discards it). It answers the
// problem itself and returns false when the request goes no further.
func (s *Server) startUpload(w http.ResponseWriter, r *http.Request) (grant, *upload, bool) {
	g, p := s.authorize(r)
	if p != nil {
		s.fail(w, r, p)
		return g, nil, false
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/fhir+json" {
		s.fail(w, r, &problem{status: http.StatusUnsupportedMediaType, code: "not-supported", diag: "Content-Type must be application/fhir+json"})
		return g, nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.o.MaxBodyBytes)
	c, err := s.newUpload()
	if err != nil {
		s.fail(w, r, &problem{status: http.StatusInternalServerError, code: "exception", diag: "the simulator cannot store content"})
		return g, nil, false
	}
	return g, c, true
}

func (s *Server) newUpload() (*upload, error) {
	if s.o.Dir == "" {
		return &upload{}, nil
	}
	f, err := os.CreateTemp(s.o.Dir, ".upload-*")
	if err != nil {
		return nil, err
	}
	return &upload{f: f}, nil
}

func (c *upload) Write(p []byte) (int, error) {
	if c.f != nil {
		return c.f.Write(p)
	}
	return c.mem.Write(p)
}

// keep makes the content rec's: its bytes, or its file under dir.
func (c *upload) keep(dir string, rec *record) error {
	if c.f == nil {
		rec.content = c.mem.Bytes()
		c.kept = true
		return nil
	}
	if err := c.f.Close(); err != nil {
		return err
	}
	rec.path = filepath.Join(dir, rec.MESID)
	if err := os.Rename(c.f.Name(), rec.path); err != nil {
		return err
	}
	c.kept = true
	return nil
}

// discard drops content that was not kept.
func (c *upload) discard() {
	if c.kept || c.f == nil {
		return
	}
	c.f.Close()
	os.Remove(c.f.Name())
}
