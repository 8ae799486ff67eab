package messim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// The PDSm profile names and codes the simulator requires of an ITI-65
// bundle (an independent reading of PDSm 3.1.1 and MHD 4.2).
const (
	profileProvideBundle = "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-comprehensive-provide-document-bundle"
	urlDesignationType   = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-designationType"
	urlSourceID          = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId"
	urlIsDeleted         = "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-ext-is-deleted"
	systemMHDListTypes   = "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes"
)

// The slices of an ITI-65 bundle (MHD's names), for problem expressions.
const (
	sliceSubmissionSet = "Bundle.entry[SubmissionSet]"
	sliceDocumentRefs  = "Bundle.entry[DocumentRefs]"
	sliceDocuments     = "Bundle.entry[Documents]"
	sliceUpdateDocRefs = "Bundle.entry[UpdateDocumentRefs]"
)

// sourceTypes are the resource types a SubmissionSet's source may be.
var sourceTypes = []string{"PractitionerRole", "Device", "Patient"}

var uuidURN = regexp.MustCompile(`^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// transaction handles POST [base]: an ITI-65 transaction bundle of one
// document (pdsm-iti65), processed atomically.
func (s *Server) transaction(w http.ResponseWriter, r *http.Request) {
	g, c, ok := s.startUpload(w, r)
	if !ok {
		return
	}
	defer c.discard()
	tx, p := parseBundle(r.Body, c)
	if p == nil {
		p = tx.check(s.o.Codes)
	}
	if p == nil {
		p = tx.checkSubjects(g)
	}
	if p == nil {
		p = tx.sub.checkContent()
	}
	if p != nil {
		s.fail(w, r, p)
		return
	}
	status, rec, p := s.commit(g, &tx.sub, c)
	if p != nil {
		s.fail(w, r, p)
		return
	}
	if status == http.StatusOK {
		w.Header().Set("X-MES-Duplicate", "true")
	}
	writeJSON(w, http.StatusOK, s.transactionResponse(tx, status, rec))
}

// check returns every problem of the bundle's structure and metadata (422,
// or 400 for an entry that is not a valid resource), in entry order.
func (tx *transaction) check(codes CodeChecker) *problem {
	if tx.resourceErr != nil {
		return tx.resourceErr
	}
	var c checks
	b := &tx.bundle
	if b.Type != "transaction" {
		c.add(invalid("value", "Bundle.type", "Bundle.type must be transaction"))
	}
	if b.Meta == nil || !slices.Contains(b.Meta.Profile, profileProvideBundle) {
		c.add(invalid("required", "Bundle.meta.profile", "Bundle.meta.profile must name the PDSm comprehensive provide document bundle"))
	}
	urls := map[string]bool{}
	for i, e := range b.Entry {
		expr := fmt.Sprintf("Bundle.entry[%d]", i)
		if !uuidURN.MatchString(e.FullURL) {
			c.add(invalid("value", expr+".fullUrl", "each entry's fullUrl must be urn:uuid:<uuid>"))
		} else if urls[e.FullURL] {
			c.add(invalid("value", expr+".fullUrl", "fullUrls must be unique"))
		}
		urls[e.FullURL] = true
		if c.req(e.Request != nil, expr+".request") {
			c.add(tx.checkRequest(i, e.Request, expr+".request"))
		}
	}
	c.req(tx.listAt >= 0, sliceSubmissionSet)
	c.req(tx.docAt >= 0, sliceDocumentRefs)
	c.req(tx.binaryAt >= 0, sliceDocuments)
	if len(c.ps) > 0 {
		return combine(c.ps)
	}
	docURL := b.Entry[tx.docAt].FullURL
	c.ps = append(c.ps, tx.checkList(docURL)...)

	ids, p := containedIDs(tx.sub.doc.Contained, dr+"contained")
	if p != nil {
		return p
	}
	c.ps = append(c.ps, checkDocRef(&tx.sub.doc, drRules{pdsm: true, contained: ids, binaryURL: b.Entry[tx.binaryAt].FullURL})...)
	c.ps = append(c.ps, tx.checkBinary()...)
	c.add(tx.checkReplacement())
	if len(c.ps) == 0 && codes != nil {
		c.ps = checkCodes(&tx.sub.doc, codes)
		if cc := designationType(tx.list); !slices.ContainsFunc(cc.Coding, func(cd coding) bool { return codes.Contains("JDV_J02", cd.System, cd.Code) }) {
			c.add(invalid("code-invalid", "List.extension[designationType]", "designationType: %s is not in JDV_J02 (the JDV_J03 codes docbridge sends)", codingText(cc)))
		}
	}
	return combine(c.ps)
}

// checkRequest checks the request of entry i against its resource's role.
func (tx *transaction) checkRequest(i int, rq *bundleRequest, expr string) *problem {
	want := map[int][2]string{tx.listAt: {"POST", "List"}, tx.docAt: {"POST", "DocumentReference"}, tx.binaryAt: {"POST", "Binary"}}
	if i == tx.patchAt {
		if rq.Method != http.MethodPatch {
			return invalid("value", expr+".method", "a Parameters entry is a PATCH")
		}
		if _, ok := conditionalIdentifier(rq.URL); !ok {
			return invalid("value", expr+".url", "the PATCH url must be DocumentReference?identifier=<system>|<value>")
		}
		return nil
	}
	if w, ok := want[i]; ok && (rq.Method != w[0] || rq.URL != w[1]) {
		return invalid("value", expr, "this entry must be %s %s", w[0], w[1])
	}
	return nil
}

// checkList checks the SubmissionSet, whose one entry is docURL.
func (tx *transaction) checkList(docURL string) []*problem {
	l := tx.list
	var c checks
	ids, p := containedIDs(l.Contained, "List.contained")
	if p != nil {
		return []*problem{p}
	}
	c.req(len(ids) > 0, "List.contained")
	c.req(hasCoding(designationType(l)), "List.extension[designationType]") // its code is checked with the others
	if id := sourceID(l); c.req(id != nil, "List.extension[sourceId]") {
		oid, ok := strings.CutPrefix(id.Value, "urn:oid:")
		if !ok || !oidPattern.MatchString(oid) || id.System != "" && id.System != "urn:ietf:rfc:3986" {
			c.add(invalid("value", "List.extension[sourceId]", "the sourceId must be urn:oid:<oid> (system urn:ietf:rfc:3986)"))
		}
	}
	c.req(slices.ContainsFunc(l.Identifier, func(id identifier) bool { return uniqueIDPattern.MatchString(id.Value) }), "List.identifier[uniqueId]")
	if c.req(l.Status != "", "List.status") && l.Status != "current" {
		c.add(invalid("value", "List.status", "status must be current"))
	}
	if c.req(l.Mode != "", "List.mode") && l.Mode != "working" {
		c.add(invalid("value", "List.mode", "mode must be working"))
	}
	if c.req(hasCoding(l.Code), "List.code") && !slices.ContainsFunc(l.Code.Coding, func(cd coding) bool {
		return cd.System == systemMHDListTypes && cd.Code == "submissionset"
	}) {
		c.add(invalid("value", "List.code", "the List must be coded as a submissionset"))
	}
	if c.req(l.Subject != nil, "List.subject") {
		c.req(l.Subject.Identifier != nil && l.Subject.Identifier.System != "" && l.Subject.Identifier.Value != "", "List.subject.identifier")
	}
	if c.req(l.Date != "", "List.date") && !isInstant(l.Date) {
		c.add(invalid("value", "List.date", "date must be an instant with seconds and a time zone"))
	}
	if c.req(l.Source != nil, "List.source") {
		c.add(drRules{contained: ids}.containedRef(l.Source, "List.source", sourceTypes...))
	}
	if c.req(len(l.Entry) > 0, "List.entry") {
		if len(l.Entry) > 1 || l.Entry[0].Item == nil || l.Entry[0].Item.Reference != docURL {
			c.add(invalid("value", "List.entry", "the SubmissionSet's one entry must be the DocumentReference's fullUrl"))
		}
	}
	return c.ps
}

// checkBinary checks the Binary against the DocumentReference.
func (tx *transaction) checkBinary() []*problem {
	var c checks
	bin := tx.binary
	if c.req(bin.ContentType != "", "Binary.contentType") && len(tx.sub.doc.Content) > 0 && tx.sub.doc.Content[0].Attachment != nil &&
		bin.ContentType != tx.sub.doc.Content[0].Attachment.ContentType {
		c.add(invalid("value", "Binary.contentType", "Binary.contentType must be the DocumentReference's attachment.contentType"))
	}
	if tx.sub.dataSeen > 1 {
		c.add(invalid("not-supported", "Binary.data", "exactly one Binary with data is supported"))
	}
	c.req(tx.sub.hasData, "Binary.data")
	return c.ps
}

// checkReplacement checks that a replacement comes with the patch that
// supersedes the replaced version, and a patch only with a replacement.
func (tx *transaction) checkReplacement() *problem {
	d := &tx.sub.doc
	switch {
	case len(d.RelatesTo) != 1 && tx.patch == nil:
		return nil
	case len(d.RelatesTo) != 1:
		return invalid("not-supported", sliceUpdateDocRefs, "a Parameters entry is only accepted with a replacement (relatesTo replaces)")
	case tx.patch == nil:
		return invalid("required", sliceUpdateDocRefs, "a replacement needs the Parameters entry that supersedes the replaced DocumentReference")
	}
	replaced, p := replacedID(d.RelatesTo[0].Target, true)
	if p != nil {
		return nil // reported with the DocumentReference
	}
	target, _ := conditionalIdentifier(tx.bundle.Entry[tx.patchAt].Request.URL)
	if uniqueKey(target) != uniqueKey(replaced) {
		return invalid("value", fmt.Sprintf("Bundle.entry[%d].request.url", tx.patchAt), "the PATCH must name the DocumentReference that relatesTo replaces")
	}
	ops, ok := patchSignatures(tx.patch.Parameter)
	if !ok || !slices.Equal(ops, []string{opSupersede}) {
		return invalid("not-supported", "Parameters.parameter", "the patch of a replacement must set DocumentReference.status to superseded, and nothing else")
	}
	return nil
}

// checkSubjects checks every patient reference against the token's patient
// (403): the subjects, and the INS of the contained sourcePatientInfo.
func (tx *transaction) checkSubjects(g grant) *problem {
	if p := checkSubjectRef(tx.list.Subject, g, "List.subject"); p != nil {
		return p
	}
	if p := tx.sub.checkSubject(g); p != nil {
		return p
	}
	for i, raw := range tx.sub.doc.Contained {
		var pt struct {
			ResourceType string       `json:"resourceType"`
			Identifier   []identifier `json:"identifier"`
		}
		if json.Unmarshal(raw, &pt) != nil || pt.ResourceType != "Patient" {
			continue
		}
		for j, id := range pt.Identifier {
			if insSystems[oidURI(id.System)] && (oidURI(id.System) != g.insSystem || id.Value != g.ins) {
				return &problem{status: http.StatusForbidden, code: "forbidden", expr: fmt.Sprintf("%scontained[%d].identifier[%d]", dr, i, j),
					diag: "the contained Patient's INS is not the INS of the patient this access token was issued for"}
			}
		}
	}
	return nil
}

// insSystems are the INS identifier systems.
var insSystems = map[string]bool{
	"urn:oid:1.2.250.1.213.1.4.8": true, "urn:oid:1.2.250.1.213.1.4.9": true,
	"urn:oid:1.2.250.1.213.1.4.10": true, "urn:oid:1.2.250.1.213.1.4.11": true,
}

// designationType returns the List's designationType, or nil.
func designationType(l *listIn) *concept {
	for _, raw := range l.Extension {
		var e extension
		if json.Unmarshal(raw, &e) == nil && e.URL == urlDesignationType {
			return e.ValueCodeableConcept
		}
	}
	return nil
}

// sourceID returns the List's sourceId, or nil.
func sourceID(l *listIn) *identifier {
	for _, raw := range l.Extension {
		var e extension
		if json.Unmarshal(raw, &e) == nil && e.URL == urlSourceID && e.ValueIdentifier != nil && e.ValueIdentifier.Value != "" {
			return e.ValueIdentifier
		}
	}
	return nil
}

// The FHIRPath Patch operations the simulator knows, as patchSignatures
// writes them.
const (
	opSupersede = "replace DocumentReference.status superseded"
	opDeleted   = "add DocumentReference extension " + urlIsDeleted + "=true"
)

// patchSignatures writes each operation of a FHIRPath Patch as one line;
// ok is false when an argument is not an operation of the known shapes.
func patchSignatures(params []parameter) (ops []string, ok bool) {
	for _, p := range params {
		if p.Name != "operation" {
			return nil, false
		}
		part := map[string]parameter{}
		for _, q := range p.Part {
			if _, dup := part[q.Name]; dup {
				return nil, false
			}
			part[q.Name] = q
		}
		typ, path := deref(part["type"].ValueCode), deref(part["path"].ValueString)
		switch v := part["value"]; typ {
		case "replace":
			if v.ValueCode == nil || len(part) != 3 {
				return nil, false
			}
			ops = append(ops, "replace "+path+" "+*v.ValueCode)
		case "add":
			sub := map[string]parameter{}
			for _, q := range v.Part {
				sub[q.Name] = q
			}
			url, val := sub["url"].ValueURI, sub["valueBoolean"].ValueBoolean
			if url == nil || val == nil || len(sub) != 2 || len(part) != 4 {
				return nil, false
			}
			ops = append(ops, fmt.Sprintf("add %s %s %s=%t", path, deref(part["name"].ValueString), *url, *val))
		default:
			return nil, false
		}
	}
	return ops, len(ops) > 0
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

type txEntryResponse struct {
	Status   string `json:"status"`
	Location string `json:"location"`
}

type txEntry struct {
	Response txEntryResponse `json:"response"`
}

type txResponse struct {
	ResourceType string    `json:"resourceType"`
	Type         string    `json:"type"`
	Entry        []txEntry `json:"entry"`
}

// transactionResponse answers a committed bundle: one entry per request
// entry, in order; 201 for what was created, 200 for a resend and for the
// patched version.
func (s *Server) transactionResponse(tx *transaction, status int, rec Stored) txResponse {
	created := "201 Created"
	if status == http.StatusOK {
		created = "200 OK"
	}
	s.mu.Lock()
	prev := ""
	if old := s.docs[rec.Replaces]; old != nil {
		prev = old.MESID
	}
	s.mu.Unlock()
	out := txResponse{ResourceType: "Bundle", Type: "transaction-response", Entry: make([]txEntry, len(tx.bundle.Entry))}
	out.Entry[tx.listAt].Response = txEntryResponse{Status: created, Location: "List/ss-" + rec.MESID + "/_history/1"}
	out.Entry[tx.docAt].Response = txEntryResponse{Status: created, Location: "DocumentReference/" + rec.MESID + "/_history/1"}
	out.Entry[tx.binaryAt].Response = txEntryResponse{Status: created, Location: "Binary/" + rec.MESID}
	if tx.patchAt >= 0 {
		out.Entry[tx.patchAt].Response = txEntryResponse{Status: "200 OK", Location: "DocumentReference/" + prev + "/_history/2"}
	}
	return out
}
