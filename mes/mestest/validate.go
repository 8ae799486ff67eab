package mestest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"time"
)

const dr = "DocumentReference."

// check returns every problem of the metadata (422), in element order;
// nil when there is none.
func (sub *submission) check(codes CodeChecker) *problem {
	var ps []*problem
	add := func(p *problem) { ps = append(ps, p) }
	req := func(ok bool, expr string) bool {
		if !ok {
			add(invalid("required", dr+expr, "%s is required", expr))
		}
		return ok
	}
	d := &sub.doc

	if d.ResourceType != "DocumentReference" {
		return &problem{status: http.StatusBadRequest, code: "structure", expr: "resourceType", diag: "resourceType must be DocumentReference"}
	}
	if req(d.MasterIdentifier != nil && d.MasterIdentifier.Value != "", "masterIdentifier") {
		if p := checkUniqueID(d.MasterIdentifier, dr+"masterIdentifier"); p != nil {
			add(p)
		}
	}
	if req(d.Status != "", "status") && d.Status != "current" {
		add(invalid("value", dr+"status", "status must be current"))
	}
	req(hasCoding(d.Type), "type")
	req(len(d.Category) > 0 && hasCoding(&d.Category[0]), "category")
	if req(d.Subject != nil, "subject") {
		req(d.Subject.Identifier != nil && d.Subject.Identifier.System != "" && d.Subject.Identifier.Value != "", "subject.identifier")
	}
	if d.Date != "" && !isInstant(d.Date) {
		add(invalid("value", dr+"date", "date must be an instant with seconds and a time zone"))
	}
	if req(len(d.Author) > 0, "author") {
		for i, a := range d.Author {
			if a.Reference == "" && a.Display == "" && (a.Identifier == nil || a.Identifier.Value == "") {
				add(invalid("required", fmt.Sprintf("%sauthor[%d]", dr, i), "an author needs an identifier, a display or a reference"))
			}
		}
	}
	if req(len(d.SecurityLabel) > 0, "securityLabel") {
		for i := range d.SecurityLabel {
			req(hasCoding(&d.SecurityLabel[i]), fmt.Sprintf("securityLabel[%d].coding", i))
		}
	}
	if req(d.Context != nil, "context") {
		req(hasCoding(d.Context.FacilityType), "context.facilityType")
		req(hasCoding(d.Context.PracticeSetting), "context.practiceSetting")
		if p := d.Context.Period; p != nil {
			for _, e := range [][2]string{{"start", p.Start}, {"end", p.End}} {
				if e[1] != "" && !isDateTime(e[1]) {
					add(invalid("value", dr+"context.period."+e[0], "context.period.%s must be a FHIR dateTime", e[0]))
				}
			}
		}
	}
	switch {
	case len(d.RelatesTo) > 1:
		add(invalid("not-supported", dr+"relatesTo", "at most one relatesTo is supported"))
	case len(d.RelatesTo) == 1:
		rt := d.RelatesTo[0]
		if rt.Code != "replaces" {
			add(invalid("not-supported", dr+"relatesTo[0].code", "only relatesTo.code replaces is supported"))
		}
		if rt.Target == nil || rt.Target.Identifier == nil || rt.Target.Identifier.Value == "" {
			add(invalid("required", dr+"relatesTo[0].target.identifier", "relatesTo.target.identifier (the replaced masterIdentifier) is required"))
		} else if p := checkUniqueID(rt.Target.Identifier, dr+"relatesTo[0].target.identifier"); p != nil {
			add(p)
		}
	}
	if sub.dataSeen > 1 {
		add(invalid("not-supported", dr+"content", "exactly one content with inline data is supported"))
	}
	if req(len(d.Content) > 0, "content") {
		if len(d.Content) > 1 {
			add(invalid("not-supported", dr+"content", "exactly one content is supported"))
		}
		c := d.Content[0]
		const ce = "content[0]."
		req(c.Format != nil && c.Format.System != "" && c.Format.Code != "", ce+"format")
		if a := c.Attachment; req(a != nil, ce+"attachment") {
			const ae = ce + "attachment."
			if req(a.ContentType != "", ae+"contentType") {
				if _, _, err := mime.ParseMediaType(a.ContentType); err != nil {
					add(invalid("value", dr+ae+"contentType", "attachment.contentType is not a media type"))
				}
			}
			if req(a.Language != "", ae+"language") && !languagePattern.MatchString(a.Language) {
				add(invalid("value", dr+ae+"language", "attachment.language is not a BCP-47 tag"))
			}
			req(sub.hasData, ae+"data")
			if a.URL != "" {
				add(invalid("not-supported", dr+ae+"url", "attachment.url is not allowed: the content is inline"))
			}
			req(a.Size != nil, ae+"size")
			req(a.Hash != "", ae+"hash")
			req(a.Title != "", ae+"title")
			if req(a.Creation != "", ae+"creation") && !isDateTime(a.Creation) {
				add(invalid("value", dr+ae+"creation", "attachment.creation must be a FHIR dateTime"))
			}
		}
	}
	if len(ps) == 0 && codes != nil {
		ps = sub.checkCodes(codes)
	}
	return combine(ps)
}

// checkContent compares the declared size and hash with the decoded data.
// Call it after check found nothing.
func (sub *submission) checkContent() *problem {
	const ae = dr + "content[0].attachment."
	a := sub.doc.Content[0].Attachment
	if sub.dataErr != nil {
		return invalid("value", ae+"data", "%v", sub.dataErr)
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
	s := sub.doc.Subject
	id := s.Identifier
	if oidURI(id.System) != g.insSystem || id.Value != g.ins {
		return &problem{status: http.StatusForbidden, code: "forbidden", expr: dr + "subject.identifier",
			diag: "subject.identifier is not the INS of the patient this access token was issued for"}
	}
	if s.Reference != "" && s.Reference != "Patient/"+g.mesID {
		return &problem{status: http.StatusForbidden, code: "forbidden", expr: dr + "subject.reference",
			diag: "subject.reference is not the patient this access token was issued for"}
	}
	return nil
}

// checkCodes checks each coded element against its value set.
func (sub *submission) checkCodes(codes CodeChecker) []*problem {
	d := &sub.doc
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
