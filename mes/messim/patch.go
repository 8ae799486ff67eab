package messim

import (
	"mime"
	"net/http"
	"slices"
)

// maxPatchBytes bounds a PATCH body: a FHIRPath Patch is small.
const maxPatchBytes = 64 << 10

// patch handles PATCH /DocumentReference?identifier=<system>|<value>, the
// conditional patch of PDSm's flux 03, as far as the simulator supports it:
// the logical deletion (status superseded and pdsm-ext-is-deleted true,
// st_maj.md). 200 with the updated resource; 404 when the patient has no
// live document with that identifier (a deleted one counts as none); 405
// for a patch of other elements; 422 for another change of status, or the
// deletion of a version that is not current. The deletion reaches the
// versions the document replaced.
func (s *Server) patch(w http.ResponseWriter, r *http.Request) {
	g, p := s.authorize(r)
	if p != nil {
		s.fail(w, r, p)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/fhir+json" {
		s.fail(w, r, &problem{status: http.StatusUnsupportedMediaType, code: "not-supported", diag: "Content-Type must be application/fhir+json (FHIRPath Patch)"})
		return
	}
	id, ok := conditionalIdentifier("DocumentReference?" + r.URL.RawQuery)
	if !ok {
		s.fail(w, r, &problem{status: http.StatusBadRequest, code: "required", diag: "a PATCH needs exactly the identifier=<system>|<value> parameter"})
		return
	}
	if p := checkUniqueID(id, "identifier"); p != nil {
		p.status = http.StatusBadRequest
		s.fail(w, r, p)
		return
	}
	var params parametersIn
	p = decodeOne(http.MaxBytesReader(w, r.Body, maxPatchBytes), &params, "FHIRPath Patch Parameters resource")
	if p == nil && params.ResourceType != "Parameters" {
		p = &problem{status: http.StatusBadRequest, code: "structure", diag: "the body is not a FHIRPath Patch Parameters resource"}
	}
	if p != nil {
		s.fail(w, r, p)
		return
	}
	ops, ok := patchSignatures(params.Parameter)
	switch {
	case !ok || slices.ContainsFunc(ops, func(op string) bool { return op != opSupersede && op != opDeleted }):
		s.fail(w, r, &problem{status: http.StatusMethodNotAllowed, code: "not-supported", expr: "Parameters.parameter",
			diag: "only DocumentReference.status and the extension pdsm-ext-is-deleted can be patched"})
		return
	case !slices.Contains(ops, opSupersede) || !slices.Contains(ops, opDeleted) || len(ops) != 2:
		s.fail(w, r, &problem{status: http.StatusUnprocessableEntity, code: "business-rule", expr: "Parameters.parameter",
			diag: "the simulator supports the logical deletion only: status superseded and pdsm-ext-is-deleted true, together"})
		return
	}

	s.mu.Lock()
	rec := s.docs[uniqueKey(id)]
	var pr *problem
	switch {
	case rec == nil || rec.Patient != g.mesID || rec.Status == "deleted":
		pr = &problem{status: http.StatusNotFound, code: "not-found", diag: "no live document of this patient has this identifier"}
	case rec.Status != "current":
		pr = invalid("business-rule", "DocumentReference.status", "only the current version of a document can be deleted")
	default:
		rec.Status = "deleted"
		rec.History = append(rec.History, "delete")
		for prev := s.docs[rec.Replaces]; prev != nil && prev.Status != "deleted"; prev = s.docs[prev.Replaces] {
			prev.Status = "deleted"
			prev.History = append(prev.History, "deleted-with-replacement")
		}
	}
	var out outDocRef
	if pr == nil {
		out = resource(baseURL(r), rec.Stored, rec.created, hashOf(rec.SHA1), rec.title, rec.creation, true)
		out.Meta.VersionID = "2"
	}
	s.mu.Unlock()
	if pr != nil {
		s.fail(w, r, pr)
		return
	}
	w.Header().Set("ETag", `W/"2"`)
	writeJSON(w, http.StatusOK, out)
}
