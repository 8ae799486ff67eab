package mes

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/docbridge/docbridge"
)

// ErrContentMismatch is wrapped (with reason Internal) by Deliver and
// WriteDocumentReference when the content read does not have the size or the
// SHA-1 the Document declares. The request is then aborted before it is
// complete: MES never receives a whole body with wrong content.
var ErrContentMismatch = errors.New("mes: content does not match the document's size or SHA-1")

// ErrNoBody is returned by WriteDocumentReference for a delete: a delete is a
// DELETE request without a body.
var ErrNoBody = errors.New("mes: a delete is sent without a body")

// WriteDocumentReference writes to w the exact mes-api request body Deliver
// sends for d: the DocumentReference with content read from content and
// base64-encoded inline, in one pass. With p nil the subject is the
// placeholder reference "Patient/PLACEHOLDER-no-pairing" (docbridge inspect
// --wire). It reads content to d.Size bytes and does not close it.
//
// It returns ErrNoBody for a delete; an *docbridge.Error with reason
// MissingMetadata or Internal when d cannot be rendered (no valid SHA-1, a
// replace without Replaces); one wrapping ErrContentMismatch when content
// differs from d.Size/d.SHA1, after part of the body was written; and w's
// own write errors as they are.
func WriteDocumentReference(w io.Writer, d *docbridge.Document, content io.Reader, p *docbridge.Pairing) error {
	e, err := newEnvelope(d, p)
	if err != nil {
		return err
	}
	return e.writeTo(w, content)
}

// envelope is a rendered DocumentReference around its content: the prefix
// ends inside the attachment.data string, the suffix closes it.
type envelope struct {
	uniqueID string
	prefix   []byte
	suffix   []byte
	size     int64
	sum      []byte // SHA-1 the content must have
	docEntry int    // pdsm-iti65: the index of the DocumentReference's entry
}

// length is the exact body length in bytes.
func (e *envelope) length() int64 {
	return int64(len(e.prefix)) + (e.size+2)/3*4 + int64(len(e.suffix))
}

// newEnvelope checks what the wire needs of d and renders the metadata.
func newEnvelope(d *docbridge.Document, p *docbridge.Pairing) (*envelope, error) {
	if d.Action == docbridge.Delete {
		return nil, ErrNoBody
	}
	sum, err := checkBody(d)
	if err != nil {
		return nil, err
	}

	var b bytes.Buffer
	o := openObject(&b, "  ")
	o.add("resourceType", "DocumentReference")
	o.add("meta", fhirMeta{Profile: []string{profileSimplifiedPublish}})
	o.add("masterIdentifier", uniqueIdentifier(d.UniqueID))
	o.add("status", "current")
	if c := concept(d.Type); c != nil {
		o.add("type", c)
	}
	if c := concept(d.Class); c != nil {
		o.add("category", []*fhirConcept{c})
	}
	o.add("subject", subject(d, p))
	if isInstant(d.Creation) {
		// DocumentReference.date is an instant: a date-only creation
		// stays in attachment.creation (a dateTime) only.
		o.add("date", d.Creation)
	}
	var authors []fhirReference
	for _, a := range d.Authors {
		if r, ok := authorRef(a); ok {
			authors = append(authors, r)
		}
	}
	if len(authors) > 0 {
		o.add("author", authors)
	}
	if a := d.LegalAuthenticator; a != nil {
		if r, ok := authorRef(*a); ok {
			o.add("authenticator", r)
		}
	}
	if c := d.Custodian; c != nil {
		if r, ok := actor(c.ID, c.System, c.Name); ok {
			o.add("custodian", r)
		}
	}
	if d.Action == docbridge.Replace {
		o.add("relatesTo", []fhirRelatesTo{{
			Code:   "replaces",
			Target: fhirReference{Identifier: ptr(uniqueIdentifier(d.Replaces))},
		}})
	}
	if labels := securityLabels(d); len(labels) > 0 {
		o.add("securityLabel", labels)
	}
	if c := docContext(d); c != nil {
		o.add("context", c)
	}

	o.key("content")
	b.WriteString("[\n    ")
	ce := o.open("      ")
	if d.Format != "" {
		ce.add("format", fhirCoding{System: formatSystem(d.Format), Code: d.Format})
	}
	ce.key("attachment")
	at := ce.open("        ")
	at.addString("contentType", d.ContentType)
	at.addString("language", d.Language)
	at.add("size", d.Size)
	at.add("hash", base64.StdEncoding.EncodeToString(sum))
	at.addString("title", d.Title)
	at.addString("creation", d.Creation)
	at.key("data")
	if err := o.err(); err != nil {
		return nil, docbridge.Wrap(docbridge.Internal, "render DocumentReference "+d.UniqueID, err)
	}
	b.WriteByte('"')
	return &envelope{
		uniqueID: d.UniqueID,
		prefix:   b.Bytes(),
		suffix:   []byte("\"\n      }\n    }\n  ]\n}\n"),
		size:     d.Size,
		sum:      sum,
	}, nil
}

// isInstant reports whether s is a FHIR instant: a date-time with seconds
// and a time zone.
func isInstant(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// checkBody checks what every body with content needs of d and returns
// the SHA-1 the content must have.
func checkBody(d *docbridge.Document) ([]byte, error) {
	sum, err := hex.DecodeString(d.SHA1)
	if err != nil || len(sum) != sha1.Size {
		return nil, docbridge.Errorf(docbridge.Internal, "document %s has no valid SHA-1", d.UniqueID)
	}
	if d.Size < 0 {
		return nil, docbridge.Errorf(docbridge.Internal, "document %s has a negative size", d.UniqueID)
	}
	if d.Action == docbridge.Replace && d.Replaces == "" && d.ReplacesServerID != "" {
		return nil, docbridge.Errorf(docbridge.MissingMetadata,
			"document %s names the version it replaces by its MES id only: docbridge resolves it through the MES ids it recorded when it delivers", d.UniqueID)
	}
	if d.Action == docbridge.Replace && d.Replaces == "" {
		return nil, docbridge.Errorf(docbridge.MissingMetadata, "document %s replaces a version but does not say which", d.UniqueID)
	}
	return sum, nil
}

// copyBufSize is the read size of the streaming pass: a multiple of 3, so
// that each chunk but the last encodes to base64 without padding.
const copyBufSize = 63 << 10

// writeTo writes the body to w, reading content once: SHA-1 and size are
// checked on the way while each chunk is base64-encoded and written to w
// in one write. Content read errors and mismatches are *docbridge.Error
// (Internal); w's errors are returned as they are. The last base64 quantum
// and the suffix are written only when the content checked out, so a wrong
// content never makes a complete body.
func (e *envelope) writeTo(w io.Writer, content io.Reader) error {
	if _, err := w.Write(e.prefix); err != nil {
		return err
	}
	h := sha1.New()
	in := make([]byte, copyBufSize)
	out := make([]byte, base64.StdEncoding.EncodedLen(copyBufSize)+len(e.suffix))
	var n int64
	carry := 0 // bytes read but not yet encoded (fewer than 3)
	for {
		k, rerr := content.Read(in[carry:])
		if k > 0 {
			n += int64(k)
			if n > e.size {
				return e.mismatch("content is longer than its declared size")
			}
			h.Write(in[carry : carry+k])
			carry += k
			// On EOF the last bytes wait for the checks below.
			if whole := carry - carry%3; whole > 0 && rerr == nil {
				m := base64.StdEncoding.EncodedLen(whole)
				base64.StdEncoding.Encode(out, in[:whole])
				if _, err := w.Write(out[:m]); err != nil {
					return err
				}
				carry = copy(in, in[whole:carry])
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return docbridge.Wrap(docbridge.Internal, "read the content of document "+e.uniqueID, rerr)
		}
	}
	if n != e.size {
		return e.mismatch("content is shorter than its declared size")
	}
	if !bytes.Equal(h.Sum(nil), e.sum) {
		return e.mismatch("content does not have its declared SHA-1")
	}
	m := base64.StdEncoding.EncodedLen(carry)
	base64.StdEncoding.Encode(out, in[:carry])
	m += copy(out[m:], e.suffix)
	_, err := w.Write(out[:m])
	return err
}

func (e *envelope) mismatch(what string) error {
	return docbridge.Wrap(docbridge.Internal, fmt.Sprintf("document %s: %s; not sent", e.uniqueID, what), ErrContentMismatch)
}

// jsonObject writes one JSON object member by member, indented, each value
// rendered by encoding/json. It never writes its closing brace: the caller
// closes what it opened (the attachment is left open for the data).
type jsonObject struct {
	b      *bytes.Buffer
	indent string // indentation of the members
	n      int
	errp   *error
}

func openObject(b *bytes.Buffer, indent string) *jsonObject {
	b.WriteByte('{')
	return &jsonObject{b: b, indent: indent, errp: new(error)}
}

// open starts a nested object, written where the buffer stands, whose
// members are indented by indent; it shares o's error.
func (o *jsonObject) open(indent string) *jsonObject {
	o.b.WriteByte('{')
	return &jsonObject{b: o.b, indent: indent, errp: o.errp}
}

// key writes the separator and the member name.
func (o *jsonObject) key(name string) {
	if o.n > 0 {
		o.b.WriteByte(',')
	}
	o.n++
	o.b.WriteByte('\n')
	o.b.WriteString(o.indent)
	o.b.WriteString(`"` + name + `": `)
}

// add writes the member name: v.
func (o *jsonObject) add(name string, v any) {
	o.key(name)
	enc := json.NewEncoder(o.b)
	enc.SetEscapeHTML(false)
	enc.SetIndent(o.indent, "  ")
	if err := enc.Encode(v); err != nil {
		if *o.errp == nil {
			*o.errp = err
		}
		return
	}
	o.b.Truncate(o.b.Len() - 1) // Encode's newline
}

// addString writes name: s unless s is empty.
func (o *jsonObject) addString(name, s string) {
	if s != "" {
		o.add(name, s)
	}
}

func (o *jsonObject) err() error { return *o.errp }
