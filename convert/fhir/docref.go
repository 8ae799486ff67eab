package fhir

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"mime"
	"strings"

	fm "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/dates"
	"github.com/docbridge/docbridge/convert/internal/ident"
	"github.com/docbridge/docbridge/mappings"
)

// docRefCodes are the coded elements samply reads as enums whose zero
// value is a valid code (status current, relatesTo.code replaces): their
// presence is read from the raw JSON.
type docRefCodes struct {
	Status    *string `json:"status"`
	RelatesTo []struct {
		Code *string `json:"code"`
	} `json:"relatesTo"`
}

// documentReference converts one DocumentReference: ITI-105 (its content
// inline in attachment.data) or an entry of an ITI-65 Bundle (its content
// in the Binary attachment.url names). path names it in messages. A
// DocumentReference whose content cannot be found, or that is not current,
// refuses the whole input.
func (c *conv) documentReference(raw json.RawMessage, bundle *resolver, path string) (*docbridge.Document, error) {
	h, err := readHead(raw)
	if err != nil {
		return nil, err
	}
	var codes docRefCodes
	if err := json.Unmarshal(raw, &codes); err != nil {
		return nil, malformed(path, err)
	}
	dr, err := fm.UnmarshalDocumentReference(raw)
	if err != nil {
		return nil, malformed(path, err)
	}
	if codes.Status != nil && *codes.Status != "current" {
		return nil, docbridge.Errorf(docbridge.UnsupportedFormat,
			"%s has status %s: docbridge publishes current documents only (to replace a document, send its new version with relatesTo replaces)",
			path, clip(*codes.Status, 24))
	}
	res := bundle.withContained(h.Contained)
	if len(dr.Content) == 0 {
		return nil, docbridge.Errorf(docbridge.Malformed, "%s has no content: there is no document to send", path)
	}
	att := dr.Content[0].Attachment
	content, binaryType, err := c.content(att, res, path)
	if err != nil {
		return nil, err
	}

	sum1, sum256 := sha1.Sum(content), sha256.Sum256(content)
	d := &docbridge.Document{
		Action: docbridge.Create, Size: int64(len(content)),
		SHA1: hex.EncodeToString(sum1[:]), SHA256: hex.EncodeToString(sum256[:]),
		Authors: []docbridge.Author{}, Problems: []docbridge.Problem{}, Content: content,
	}
	b := &builder{m: c.m, loc: c.loc, d: d}
	if codes.Status == nil {
		b.warnf(docbridge.MissingMetadata, "%s.status is missing: current is assumed", path)
	}
	if len(dr.Content) > 1 {
		b.warnf(docbridge.UnsupportedFormat, "%s has %d contents: only the first is sent", path, len(dr.Content))
	}
	b.attachment(att, sum1[:], binaryType, path)
	b.d.UniqueID = b.uniqueID(dr.MasterIdentifier, path+".masterIdentifier")
	b.relatesTo(dr.RelatesTo, codes, bundle, path)
	b.typeAndClass(dr.Type, dr.Category, path)
	b.title(str(att.Title), str(dr.Description), path)
	b.creation(str(att.Creation), str(dr.Date), path)
	b.d.Language = str(att.Language)
	b.securityLabels(dr.SecurityLabel, path)
	b.format(dr.Content[0].Format, b.d.ContentType, path+".content")
	ctx := dr.Context
	if ctx == nil {
		ctx = &fm.DocumentReferenceContext{}
	}
	b.d.FacilityType, _ = b.lookup(ctx.FacilityType, mappings.FacilityTypes, path+".context.facilityType", "healthcare facility type")
	b.d.PracticeSetting, _ = b.lookup(ctx.PracticeSetting, mappings.PracticeSettings, path+".context.practiceSetting", "practice setting")
	if ctx.Period != nil {
		b.d.ServiceStart = b.serviceTime(str(ctx.Period.Start), path+".context.period.start")
		b.d.ServiceStop = b.serviceTime(str(ctx.Period.End), path+".context.period.end")
	}
	b.patient(dr.Subject, ctx.SourcePatientInfo, res, path)
	c.agreeWithCDA(b, path)
	b.authors(dr.Author, res, path)
	if dr.Authenticator != nil {
		if a, ok := b.party(dr.Authenticator, res); ok {
			b.d.LegalAuthenticator = &a
		}
	}
	b.d.Custodian = b.organization(dr.Custodian, res)
	return d, nil
}

// content returns the bytes of an attachment: its inline data, or the data
// of the Binary its url names. It also returns the Binary's content type.
func (c *conv) content(att fm.Attachment, res *resolver, path string) ([]byte, string, error) {
	if att.Data != nil {
		raw, err := decodeBase64(*att.Data)
		if err != nil {
			return nil, "", docbridge.Errorf(docbridge.Malformed, "%s.content.attachment.data is not valid base64", path)
		}
		return raw, "", nil
	}
	url := str(att.Url)
	if url == "" {
		return nil, "", docbridge.Errorf(docbridge.Malformed,
			"%s.content.attachment has neither data nor url: there is no document to send", path)
	}
	r, ok := res.resolve(url)
	if !ok || r.Type != "Binary" {
		return nil, "", docbridge.Errorf(docbridge.UnsupportedFormat,
			"%s.content.attachment.url points to content that is not in the input: send the document inline (ITI-105, attachment.data) or in an ITI-65 transaction Bundle with its Binary",
			path)
	}
	bin, err := fm.UnmarshalBinary(r.Raw)
	if err != nil {
		return nil, "", malformed(path+": its Binary", err)
	}
	if bin.Data == nil {
		return nil, "", docbridge.Errorf(docbridge.Malformed, "%s: the Binary its attachment.url names has no data", path)
	}
	raw, err := decodeBase64(*bin.Data)
	if err != nil {
		return nil, "", docbridge.Errorf(docbridge.Malformed, "%s: the data of the Binary its attachment.url names is not valid base64", path)
	}
	return raw, strings.TrimSpace(bin.ContentType), nil
}

// decodeBase64 decodes FHIR base64Binary, tolerating white space and
// missing padding.
func decodeBase64(s string) ([]byte, error) {
	if out, err := base64.StdEncoding.DecodeString(s); err == nil {
		return out, nil
	}
	clean := strings.TrimRight(strings.Join(strings.Fields(s), ""), "=")
	return base64.RawStdEncoding.DecodeString(clean)
}

// attachment checks the attachment's content type, size and hash against
// the content.
func (b *builder) attachment(att fm.Attachment, sum1 []byte, binaryType, path string) {
	ct := str(att.ContentType)
	switch {
	case ct == "" && binaryType != "":
		ct = binaryType
	case ct == "":
		b.errorf(docbridge.MissingMetadata, "%s.content.attachment.contentType is missing: the document's MIME type is unknown", path)
	case binaryType != "" && !strings.EqualFold(mediaType(ct), mediaType(binaryType)):
		b.warnf(docbridge.Malformed, "%s.content.attachment.contentType differs from its Binary's contentType; the attachment's is sent", path)
	}
	if ct != "" {
		if _, _, err := mime.ParseMediaType(ct); err != nil {
			b.errorf(docbridge.Malformed, "%s.content.attachment.contentType is not a MIME type", path)
		}
	}
	b.d.ContentType = ct
	if mediaType(ct) == "application/pdf" && !bytes.HasPrefix(bytes.TrimLeft(b.d.Content, " \t\r\n"), []byte("%PDF-")) {
		b.errorf(docbridge.Malformed, "%s.content.attachment.contentType is application/pdf but the content is not a PDF (no %%PDF- header)", path)
	}
	if att.Size != nil && int64(*att.Size) != b.d.Size {
		b.errorf(docbridge.Malformed, "%s.content.attachment.size says %d bytes but the content has %d", path, *att.Size, b.d.Size)
	}
	if h := str(att.Hash); h != "" {
		want, err := base64.StdEncoding.DecodeString(h)
		if err != nil || !bytes.Equal(want, sum1) {
			b.errorf(docbridge.Malformed, "%s.content.attachment.hash is not the base64 SHA-1 of the content", path)
		}
	}
}

// mediaType is a content type without parameters, in lower case.
func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// uniqueID reads a masterIdentifier (or a Bundle or Composition
// identifier) as a docbridge uniqueId: a urn:oid: or urn:uuid: value with
// the system urn:ietf:rfc:3986 (or none), or, for an identifier in an OID
// system, the XDS form <OID>^<value>.
func (b *builder) uniqueID(id *fm.Identifier, path string) string {
	if id == nil || str(id.Value) == "" {
		b.errorf(docbridge.MissingMetadata, "%s is missing: the document has no unique identifier", path)
		return ""
	}
	v, ok := idValue(*id)
	if !ok {
		b.errorf(docbridge.MissingMetadata,
			"%s is neither a urn:oid: nor a urn:uuid: URI (system urn:ietf:rfc:3986), nor a value in an OID system: it cannot be a uniqueId", path)
	}
	return v
}

// idValue returns the uniqueId an identifier stands for; ok is false when
// it has none of the accepted forms (the value is returned as given).
func idValue(id fm.Identifier) (string, bool) {
	v, sys := str(id.Value), str(id.System)
	switch {
	case strings.HasPrefix(v, "urn:oid:") && (sys == "" || sys == "urn:ietf:rfc:3986"):
		return v, ident.IsOID(v[len("urn:oid:"):])
	case strings.HasPrefix(strings.ToLower(v), "urn:uuid:") && (sys == "" || sys == "urn:ietf:rfc:3986"):
		u := strings.ToLower(v)
		return u, ident.IsUUID(u[len("urn:uuid:"):])
	case strings.HasPrefix(sys, "urn:oid:") && ident.IsOID(sys[len("urn:oid:"):]):
		return sys[len("urn:oid:"):] + "^" + v, !strings.ContainsAny(v, "^ ")
	}
	return v, false
}

// relatesTo reads a replacement: the code replaces (read raw: samply's
// zero value is replaces) and the target's masterIdentifier, given by
// identifier or by a reference to a DocumentReference of the Bundle; a
// reference to a DocumentReference outside the Bundle names the target by
// its server id (Document.ReplacesServerID).
func (b *builder) relatesTo(rels []fm.DocumentReferenceRelatesTo, codes docRefCodes, bundle *resolver, path string) {
	for i, r := range rels {
		code := ""
		if i < len(codes.RelatesTo) && codes.RelatesTo[i].Code != nil {
			code = *codes.RelatesTo[i].Code
		}
		switch code {
		case "":
			b.errorf(docbridge.Malformed, "%s.relatesTo[%d].code is missing", path, i)
		case "replaces":
			if b.d.Action == docbridge.Replace {
				b.warnf(docbridge.MissingMetadata, "%s has more than one relatesTo replaces; only the first is used", path)
				continue
			}
			target := b.replacedID(r.Target, bundle)
			switch {
			case target == "" && serverID(str(r.Target.Reference)) != "":
				// Named by the id the server gave it: the pipeline resolves
				// it through the MES ids docbridge recorded.
				b.d.Action, b.d.ReplacesServerID = docbridge.Replace, serverID(str(r.Target.Reference))
			case target == "":
				b.errorf(docbridge.MissingMetadata,
					"%s.relatesTo[%d].target names the replaced document neither by identifier (its masterIdentifier) nor by a DocumentReference of the Bundle", path, i)
			case target == b.d.UniqueID:
				b.errorf(docbridge.Malformed, "%s.relatesTo[%d] names the document itself: a document cannot replace itself", path, i)
			default:
				b.d.Action, b.d.Replaces = docbridge.Replace, target
			}
		default:
			b.warnf(docbridge.UnsupportedFormat,
				"%s.relatesTo[%d].code %s is not supported (only replaces is); the document is sent as a new document", path, i, clip(code, 24))
		}
	}
}

// serverID returns the id in a reference to a DocumentReference a server
// holds — "DocumentReference/<id>", relative or absolute, with or without
// "/_history/<version>" — or "" when ref is not one.
func serverID(ref string) string {
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	const prefix = "DocumentReference/"
	i := strings.LastIndex(ref, prefix)
	if i < 0 || i > 0 && ref[i-1] != '/' {
		return ""
	}
	id := ref[i+len(prefix):]
	if id == "" || len(id) > 64 {
		return ""
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return ""
		}
	}
	return id
}

// replacedID returns the uniqueId of a relatesTo target, or "".
func (b *builder) replacedID(target fm.Reference, bundle *resolver) string {
	if target.Identifier != nil {
		if v, ok := idValue(*target.Identifier); ok {
			return v
		}
	}
	r, ok := bundle.resolve(str(target.Reference))
	if !ok || r.Type != "DocumentReference" {
		return ""
	}
	old, err := fm.UnmarshalDocumentReference(r.Raw)
	if err != nil || old.MasterIdentifier == nil {
		return ""
	}
	v, ok := idValue(*old.MasterIdentifier)
	if !ok {
		return ""
	}
	return v
}

// title reads the attachment's title, else the description, else the
// type's display, with a warning for the fallbacks.
func (b *builder) title(title, description, path string) {
	switch {
	case title != "":
		b.d.Title = title
	case description != "":
		b.d.Title = description
		b.warnf(docbridge.MissingMetadata, "%s.content.attachment.title is missing: the description is the title", path)
	case b.d.Type.Display != "":
		b.d.Title = b.d.Type.Display
		b.warnf(docbridge.MissingMetadata, "%s.content.attachment.title is missing: the type's display is the title", path)
	default:
		b.errorf(docbridge.MissingMetadata, "%s.content.attachment.title is missing: the document has no title", path)
	}
}

// creation reads the attachment's creation time, else the
// DocumentReference's date with a warning.
func (b *builder) creation(creation, date, path string) {
	at := path + ".content.attachment.creation"
	if creation == "" {
		if date == "" {
			b.errorf(docbridge.MissingMetadata, "%s and %s.date are missing: the creation time cannot be derived", at, path)
			return
		}
		creation, at = date, path+".date"
		b.warnf(docbridge.MissingMetadata, "%s.content.attachment.creation is missing: the DocumentReference's date is the creation time", path)
	}
	b.setCreation(creation, at)
}

// setCreation reads a FHIR dateTime as the creation time.
func (b *builder) setCreation(s, at string) {
	t, err := dates.Parse(s, b.loc)
	if err != nil {
		b.errorf(docbridge.MissingMetadata, "%s is not a FHIR dateTime: the creation time cannot be derived", at)
		return
	}
	b.d.Creation, b.d.CreationSource = t.Value, t.Source
	if !t.Offset {
		b.warnf(docbridge.MissingMetadata, "%s has a time but no offset (FHIR requires one): it was read in the configured time zone", at)
	}
	if t.Date {
		b.warnf(docbridge.MissingMetadata, "%s has no time of day: the creation time is only a date", at)
	}
}

// serviceTime reads a bound of the service period; an unreadable one is a
// warning and left out.
func (b *builder) serviceTime(s, at string) string {
	if s == "" {
		return ""
	}
	t, err := dates.Parse(s, b.loc)
	if err != nil {
		b.warnf(docbridge.MissingMetadata, "%s is not a FHIR dateTime: it is left out", at)
		return ""
	}
	return t.Value
}
