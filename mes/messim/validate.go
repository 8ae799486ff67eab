package messim

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

const dr = "DocumentReference."

// check returns every problem of an inline (mes-api) DocumentReference's
// metadata (422), in element order; nil when there is none.
func (sub *submission) check(codes CodeChecker) *problem {
	d := &sub.doc
	if d.ResourceType != "DocumentReference" {
		return &problem{status: http.StatusBadRequest, code: "structure", expr: "resourceType", diag: "resourceType must be DocumentReference"}
	}
	ps := checkDocRef(d, drRules{hasData: sub.hasData, dataSeen: sub.dataSeen})
	if len(ps) == 0 && codes != nil {
		ps = checkCodes(d, codes)
	}
	return combine(ps)
}

// drRules says which profile a DocumentReference is checked against.
type drRules struct {
	// mes-api: the content is inline.
	hasData  bool // attachment.data was present and not empty
	dataSeen int  // data strings seen

	// pdsm-iti65: the comprehensive DocumentReference of a bundle.
	pdsm      bool
	contained map[string]string // contained resources: id → resourceType
	binaryURL string            // fullUrl of the bundle's Binary
}

// authorTypes are the resource types a PDSm author may be.
var authorTypes = []string{"Practitioner", "PractitionerRole", "Device", "Patient"}

// checks collects problems in element order.
type checks struct{ ps []*problem }

func (c *checks) add(p *problem) {
	if p != nil {
		c.ps = append(c.ps, p)
	}
}

// req records expr as required when ok is false, and returns ok.
func (c *checks) req(ok bool, expr string) bool {
	if !ok {
		short := expr[strings.IndexByte(expr, '.')+1:]
		c.add(invalid("required", expr, "%s is required", short))
	}
	return ok
}

// checkDocRef returns the metadata problems of d under r, in element order.
func checkDocRef(d *docRef, r drRules) []*problem {
	var c checks
	if r.pdsm {
		c.req(len(r.contained) > 0, dr+"contained")
	}
	if c.req(d.MasterIdentifier != nil && d.MasterIdentifier.Value != "", dr+"masterIdentifier") {
		c.add(checkUniqueID(d.MasterIdentifier, dr+"masterIdentifier"))
	}
	if c.req(d.Status != "", dr+"status") && d.Status != "current" {
		c.add(invalid("value", dr+"status", "status must be current"))
	}
	c.req(hasCoding(d.Type), dr+"type")
	c.req(len(d.Category) > 0 && hasCoding(&d.Category[0]), dr+"category")
	if c.req(d.Subject != nil, dr+"subject") {
		c.req(d.Subject.Identifier != nil && d.Subject.Identifier.System != "" && d.Subject.Identifier.Value != "", dr+"subject.identifier")
	}
	if r.pdsm {
		c.req(d.Date != "", dr+"date")
	}
	if d.Date != "" && !isInstant(d.Date) {
		c.add(invalid("value", dr+"date", "date must be an instant with seconds and a time zone"))
	}
	if c.req(len(d.Author) > 0, dr+"author") {
		for i, a := range d.Author {
			expr := fmt.Sprintf("%sauthor[%d]", dr, i)
			switch {
			case r.pdsm:
				c.add(r.containedRef(&a, expr, authorTypes...))
			case a.Reference == "" && a.Display == "" && (a.Identifier == nil || a.Identifier.Value == ""):
				c.add(invalid("required", expr, "an author needs an identifier, a display or a reference"))
			}
		}
	}
	if r.pdsm {
		if d.Authenticator != nil {
			c.add(r.containedRef(d.Authenticator, dr+"authenticator", "Practitioner", "PractitionerRole", "Organization"))
		}
		if c.req(d.Custodian != nil, dr+"custodian") {
			c.add(r.containedRef(d.Custodian, dr+"custodian", "Organization"))
		}
	}
	if c.req(len(d.SecurityLabel) > 0, dr+"securityLabel") {
		for i := range d.SecurityLabel {
			c.req(hasCoding(&d.SecurityLabel[i]), fmt.Sprintf("%ssecurityLabel[%d].coding", dr, i))
		}
	}
	if c.req(d.Context != nil, dr+"context") {
		c.req(hasCoding(d.Context.FacilityType), dr+"context.facilityType")
		c.req(hasCoding(d.Context.PracticeSetting), dr+"context.practiceSetting")
		p := d.Context.Period
		if r.pdsm {
			c.req(p != nil && p.Start != "", dr+"context.period.start")
		}
		if p != nil {
			for _, e := range [][2]string{{"start", p.Start}, {"end", p.End}} {
				if e[1] != "" && !isDateTime(e[1]) {
					c.add(invalid("value", dr+"context.period."+e[0], "context.period.%s must be a FHIR dateTime", e[0]))
				}
			}
		}
		if spi := d.Context.SourcePatientInfo; spi != nil {
			if r.pdsm {
				c.add(r.containedRef(spi, dr+"context.sourcePatientInfo", "Patient"))
			} else {
				c.add(invalid("not-supported", dr+"context.sourcePatientInfo", "context.sourcePatientInfo is not supported with inline content"))
			}
		}
	}
	switch {
	case len(d.RelatesTo) > 1:
		c.add(invalid("not-supported", dr+"relatesTo", "at most one relatesTo is supported"))
	case len(d.RelatesTo) == 1:
		rt := d.RelatesTo[0]
		if rt.Code != "replaces" {
			c.add(invalid("not-supported", dr+"relatesTo[0].code", "only relatesTo.code replaces is supported"))
		}
		if _, p := replacedID(rt.Target, r.pdsm); p != nil {
			c.add(p)
		}
	}
	if !r.pdsm && r.dataSeen > 1 {
		c.add(invalid("not-supported", dr+"content", "exactly one content with inline data is supported"))
	}
	if c.req(len(d.Content) > 0, dr+"content") {
		if len(d.Content) > 1 {
			c.add(invalid("not-supported", dr+"content", "exactly one content is supported"))
		}
		cn := d.Content[0]
		const ce = dr + "content[0]."
		c.req(cn.Format != nil && cn.Format.System != "" && cn.Format.Code != "", ce+"format")
		if a := cn.Attachment; c.req(a != nil, ce+"attachment") {
			const ae = ce + "attachment."
			if c.req(a.ContentType != "", ae+"contentType") {
				if _, _, err := mime.ParseMediaType(a.ContentType); err != nil {
					c.add(invalid("value", ae+"contentType", "attachment.contentType is not a media type"))
				}
			}
			if c.req(a.Language != "", ae+"language") && !languagePattern.MatchString(a.Language) {
				c.add(invalid("value", ae+"language", "attachment.language is not a BCP-47 tag"))
			}
			if r.pdsm {
				if a.Data != nil {
					c.add(invalid("not-supported", ae+"data", "attachment.data is not allowed: the content is the bundle's Binary"))
				}
				if c.req(a.URL != "", ae+"url") && a.URL != r.binaryURL {
					c.add(invalid("value", ae+"url", "attachment.url must be the fullUrl of the bundle's Binary"))
				}
			} else {
				c.req(r.hasData, ae+"data")
				if a.URL != "" {
					c.add(invalid("not-supported", ae+"url", "attachment.url is not allowed: the content is inline"))
				}
			}
			c.req(a.Size != nil, ae+"size")
			c.req(a.Hash != "", ae+"hash")
			c.req(a.Title != "", ae+"title")
			if c.req(a.Creation != "", ae+"creation") && !isDateTime(a.Creation) {
				c.add(invalid("value", ae+"creation", "attachment.creation must be a FHIR dateTime"))
			}
		}
	}
	return c.ps
}

// containedRef checks that ref is a local reference ("#id") to a contained
// resource of one of types.
func (r drRules) containedRef(ref *reference, expr string, types ...string) *problem {
	id, ok := strings.CutPrefix(ref.Reference, "#")
	if !ok || id == "" {
		return invalid("value", expr, "a reference to a contained resource (#id) is required")
	}
	rt, ok := r.contained[id]
	if !ok {
		return invalid("not-found", expr, "no contained resource has this id")
	}
	if !slices.Contains(types, rt) {
		return invalid("value", expr, "the contained resource is a %s, not a %s", rt, strings.Join(types, " or "))
	}
	return nil
}

// replacedID returns the identifier of the document a relatesTo replaces:
// target.identifier, or (pdsm) the conditional reference
// DocumentReference?identifier=<system>|<value>; both must agree when both
// are given.
func replacedID(t *reference, pdsm bool) (*identifier, *problem) {
	const expr = dr + "relatesTo[0].target"
	var fromRef *identifier
	if pdsm && t != nil && t.Reference != "" {
		id, ok := conditionalIdentifier(t.Reference)
		if !ok {
			return nil, invalid("value", expr+".reference", "relatesTo.target.reference must be DocumentReference?identifier=<system>|<value>")
		}
		fromRef = id
	}
	if t == nil || t.Identifier == nil || t.Identifier.Value == "" {
		if fromRef != nil {
			return fromRef, checkUniqueID(fromRef, expr+".reference")
		}
		what := "relatesTo.target.identifier (the replaced masterIdentifier)"
		if pdsm {
			what = "relatesTo.target (the replaced masterIdentifier, as identifier or conditional reference)"
		}
		return nil, invalid("required", expr+".identifier", "%s is required", what)
	}
	if p := checkUniqueID(t.Identifier, expr+".identifier"); p != nil {
		return nil, p
	}
	if fromRef != nil && uniqueKey(fromRef) != uniqueKey(t.Identifier) {
		return nil, invalid("value", expr, "relatesTo.target.reference and .identifier name different documents")
	}
	return t.Identifier, nil
}

// conditionalIdentifier reads DocumentReference?identifier=<system>|<value>.
func conditionalIdentifier(ref string) (*identifier, bool) {
	path, query, ok := strings.Cut(ref, "?")
	if !ok || strings.TrimPrefix(path, "/") != "DocumentReference" {
		return nil, false
	}
	q, err := url.ParseQuery(query)
	if err != nil || len(q) != 1 || len(q["identifier"]) != 1 {
		return nil, false
	}
	sys, val, ok := cutToken(q.Get("identifier"))
	if !ok || val == "" {
		return nil, false
	}
	return &identifier{System: sys, Value: val}, true
}

// checkContent compares the declared size and hash with the decoded data
// (the inline data, or the bundle's Binary.data). Call it after the
// metadata checks found nothing.
func (sub *submission) checkContent() *problem {
	const ae = dr + "content[0].attachment."
	a := sub.doc.Content[0].Attachment
	if sub.dataErr != nil {
		expr := ae + "data"
		if sub.profile == profilePDSm {
			expr = "Binary.data"
		}
		return invalid("value", expr, "%v", sub.dataErr)
	}
	var ps []*problem
	if *a.Size != sub.size {
		ps = append(ps, invalid("value", ae+"size", "attachment.size does not match the size of the decoded data"))
	}
	if h, err := base64.StdEncoding.DecodeString(a.Hash); err != nil || len(h) != 20 {
		ps = append(ps, invalid("value", ae+"hash", "attachment.hash must be the base64 of a SHA-1 (20 bytes)"))
	} else if !bytes.Equal(h, sub.sum) {
		ps = append(ps, invalid("value", ae+"hash", "attachment.hash does not match the SHA-1 of the decoded data"))
	}
	return combine(ps)
}

// checkSubject checks the subject against the token's patient (403).
func (sub *submission) checkSubject(g grant) *problem {
	return checkSubjectRef(sub.doc.Subject, g, dr+"subject")
}

// checkSubjectRef checks a subject reference (whose identifier is known to
// be there) against the token's patient (403).
func checkSubjectRef(s *reference, g grant, expr string) *problem {
	id := s.Identifier
	if oidURI(id.System) != g.insSystem || id.Value != g.ins {
		return &problem{status: http.StatusForbidden, code: "forbidden", expr: expr + ".identifier",
			diag: "subject.identifier is not the INS of the patient this access token was issued for"}
	}
	if s.Reference != "" && s.Reference != "Patient/"+g.mesID {
		return &problem{status: http.StatusForbidden, code: "forbidden", expr: expr + ".reference",
			diag: "subject.reference is not the patient this access token was issued for"}
	}
	return nil
}

// checkCodes checks each coded element against its value set.
func checkCodes(d *docRef, codes CodeChecker) []*problem {
	var ps []*problem
	in := func(vs, expr string, cc *concept) {
		for _, c := range cc.Coding {
			if codes.Contains(vs, c.System, c.Code) {
				return
			}
		}
		ps = append(ps, invalid("code-invalid", dr+expr, "%s: %s is not in %s", expr, codingText(cc), vs))
	}
	in("JDV_J07", "type", d.Type)
	in("JDV_J06", "category[0]", &d.Category[0])
	if f := d.Content[0].Format; !codes.Contains("JDV_J10", f.System, f.Code) {
		ps = append(ps, invalid("code-invalid", dr+"content[0].format", "content[0].format: %s|%s is not in JDV_J10", f.System, f.Code))
	}
	in("JDV_J02", "context.facilityType", d.Context.FacilityType)
	in("JDV_J04", "context.practiceSetting", d.Context.PracticeSetting)
	for i := range d.SecurityLabel {
		in("JDV_J08", fmt.Sprintf("securityLabel[%d]", i), &d.SecurityLabel[i])
	}
	return ps
}

func codingText(cc *concept) string {
	var s []string
	for _, c := range cc.Coding {
		s = append(s, c.System+"|"+c.Code)
	}
	return strings.Join(s, ", ")
}

func hasCoding(cc *concept) bool {
	if cc == nil {
		return false
	}
	for _, c := range cc.Coding {
		if c.System != "" && c.Code != "" {
			return true
		}
	}
	return false
}

func combine(ps []*problem) *problem {
	if len(ps) == 0 {
		return nil
	}
	p := ps[0]
	p.more = ps[1:]
	return p
}

var (
	uniqueIDPattern = regexp.MustCompile(`^urn:(oid:[0-2](\.(0|[1-9][0-9]*))+|uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$`)
	languagePattern = regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$`)
	partialDate     = regexp.MustCompile(`^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$`)
)

// isInstant reports whether s is a FHIR instant.
func isInstant(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// isDateTime reports whether s is a FHIR dateTime: a partial date, or a
// date-time with seconds and a time zone.
func isDateTime(s string) bool { return partialDate.MatchString(s) || isInstant(s) }

// oidPattern matches a bare OID.
var oidPattern = regexp.MustCompile(`^[0-2](\.(0|[1-9][0-9]*))+$`)

// checkUniqueID accepts a document's unique id written as a URI (system
// urn:ietf:rfc:3986, value urn:oid:… or urn:uuid:…) or as an OID root with
// an extension (system urn:oid:<root>, value the extension).
func checkUniqueID(id *identifier, expr string) *problem {
	switch {
	case id.System == "urn:ietf:rfc:3986" || id.System == "":
		if !uniqueIDPattern.MatchString(id.Value) {
			return invalid("value", expr+".value", "a URI unique id must be urn:oid:<oid> or urn:uuid:<uuid>")
		}
	case strings.HasPrefix(id.System, "urn:oid:") && oidPattern.MatchString(strings.TrimPrefix(id.System, "urn:oid:")):
		if id.Value == "" || strings.ContainsAny(id.Value, "^ ") {
			return invalid("value", expr+".value", "the extension of an OID-rooted unique id must be non-empty, without ^ or spaces")
		}
	default:
		return invalid("value", expr+".system", "a unique id's system must be urn:ietf:rfc:3986 or urn:oid:<root>")
	}
	return nil
}

// uniqueKey is the simulator's key for a unique id: the URI itself, or
// "<root>^<extension>" for an OID-rooted one (docbridge's own form).
func uniqueKey(id *identifier) string {
	if strings.HasPrefix(id.System, "urn:oid:") {
		return strings.TrimPrefix(id.System, "urn:oid:") + "^" + id.Value
	}
	return id.Value
}
