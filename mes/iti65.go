package mes

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
)

// BundleOptions is what a pdsm-iti65 bundle needs besides the document.
type BundleOptions struct {
	// SourceID is the OID of the sending installation (the SubmissionSet's
	// ihe-sourceId), bare or as "urn:oid:…"; "" writes the placeholder
	// 2.25.0.
	SourceID string
	// Now gives the submission time; nil means time.Now.
	Now func() time.Time
}

// WriteBundle writes to w the exact pdsm-iti65 request body Deliver sends
// for d: the ITI-65 transaction bundle (SubmissionSet, for a replacement
// the Patch superseding the replaced version, DocumentReference, Binary),
// the Binary's data read from content and base64-encoded in one pass. For
// a delete it writes the FHIRPath Patch of PDSm's logical deletion, the
// body of the conditional PATCH Deliver sends (wire.go), and ignores
// content. With p nil the subject is the placeholder reference
// "Patient/PLACEHOLDER-no-pairing" (docbridge inspect --wire). It reads
// content to d.Size bytes and does not close it.
//
// It returns an *docbridge.Error with reason MissingMetadata when d lacks
// an element PDSm requires (the message names them all), or Internal when
// d has no valid SHA-1 or o.SourceID is not an OID; one wrapping
// ErrContentMismatch when content differs from d.Size/d.SHA1, after part
// of the body was written; and w's own write errors as they are.
func WriteBundle(w io.Writer, d *docbridge.Document, content io.Reader, p *docbridge.Pairing, o BundleOptions) error {
	if d.Action == docbridge.Delete {
		b, err := json.MarshalIndent(supersedePatch(true), "", "  ")
		if err != nil {
			return docbridge.Wrap(docbridge.Internal, "render the delete of "+d.UniqueID, err)
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	if o.SourceID == "" {
		o.SourceID = placeholderSourceID
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	e, err := newBundle(d, p, o.SourceID, o.Now())
	if err != nil {
		return err
	}
	return e.writeTo(w, content)
}

// deliverPDSm is Deliver for the pdsm-iti65 profile.
func (c *Client) deliverPDSm(ctx context.Context, d *docbridge.Document, content io.Reader, p docbridge.Pairing) (docbridge.Receipt, error) {
	if d.Action == docbridge.Delete {
		return c.deletePDSm(ctx, d, p)
	}
	if d.Patient.INS == "" {
		return docbridge.Receipt{}, docbridge.Errorf(docbridge.MissingINS, "document %s has no INS for the subject", d.UniqueID)
	}
	if c.o.SourceID == "" {
		return docbridge.Receipt{}, docbridge.Errorf(docbridge.Internal, "the pdsm-iti65 profile needs this installation's OID; set mes.source_id")
	}
	e, err := newBundle(d, &p, c.o.SourceID, c.o.Now())
	if err != nil {
		return docbridge.Receipt{}, err
	}
	req, resp, reqID, err := c.stream(ctx, bundleURL(c.base), e, content, p, nil)
	if err != nil {
		return docbridge.Receipt{}, err
	}
	return bundleReceipt(req, resp, reqID, e.docEntry, newRedactor(d, &p))
}

// bundleReceipt classifies MES's answer to an ITI-65 request. On a 2xx
// the transaction was committed as a whole: the MES id is read from the
// transaction-response entry docEntry (the DocumentReference), and an
// answer that cannot be read still counts as delivered, without an id.
func bundleReceipt(req *http.Request, resp *http.Response, reqID string, docEntry int, redact func(string) string) (docbridge.Receipt, error) {
	body, reqID, err := readAnswer(req, resp, reqID, redact)
	if err != nil {
		return answered(resp, reqID), err
	}
	r := docbridge.Receipt{Status: resp.StatusCode, RequestID: reqID, Duplicate: isDuplicateHeader(resp.Header)}
	if e, ok := parseTransactionResponse(body, docEntry); ok {
		r.MESID = locationID(e.Location)
		r.Duplicate = r.Duplicate || isDuplicateEntry(e.Status)
	}
	return r, nil
}

// entryResponse is Bundle.entry.response of a transaction-response.
type entryResponse struct {
	Status   string `json:"status"`
	Location string `json:"location"`
}

// parseTransactionResponse returns the response of entry i of a
// transaction-response Bundle, and false when body is not one or has no
// such entry.
func parseTransactionResponse(body []byte, i int) (entryResponse, bool) {
	var b struct {
		ResourceType string `json:"resourceType"`
		Type         string `json:"type"`
		Entry        []struct {
			Response *entryResponse `json:"response"`
		} `json:"entry"`
	}
	if json.Unmarshal(body, &b) != nil || b.ResourceType != "Bundle" || b.Type != "transaction-response" ||
		i < 0 || i >= len(b.Entry) || b.Entry[i].Response == nil {
		return entryResponse{}, false
	}
	return *b.Entry[i].Response, true
}

// deletePDSm sends PDSm's logical deletion of d.UniqueID: a conditional
// PATCH (wire.go). A 404 with an OperationOutcome not-found is a duplicate:
// nothing live has that id at MES.
func (c *Client) deletePDSm(ctx context.Context, d *docbridge.Document, p docbridge.Pairing) (docbridge.Receipt, error) {
	body, err := json.Marshal(supersedePatch(true))
	if err != nil {
		return docbridge.Receipt{}, docbridge.Wrap(docbridge.Internal, "render the delete of "+d.UniqueID, err)
	}
	resp, answer, reqID, err := c.sendJSON(ctx, d, p, http.MethodPatch, patchURL(c.base, d.UniqueID), body, nil)
	if resp == nil {
		return docbridge.Receipt{}, err
	}
	if err != nil {
		if resp.StatusCode == http.StatusNotFound && parseOutcome(answer).has(notFoundIssue) {
			return docbridge.Receipt{Status: resp.StatusCode, RequestID: reqID, Duplicate: true}, nil
		}
		return answered(resp, reqID), err
	}
	return docbridge.Receipt{MESID: resourceID(answer, ""), Status: resp.StatusCode, RequestID: reqID}, nil
}

var notFoundIssue = map[string]bool{"not-found": true}

// bundleEntry is one entry of the transaction, but the Binary.
type bundleEntry struct {
	FullURL  string        `json:"fullUrl"`
	Resource any           `json:"resource"`
	Request  bundleRequest `json:"request"`
}

type bundleRequest struct {
	Method string `json:"method"`
	URL    string `json:"url"`
}

// oidPattern matches a bare OID.
var oidPattern = regexp.MustCompile(`^[0-2](\.(0|[1-9][0-9]*))+$`)

// newBundle checks what the bundle needs of d and renders everything but
// the Binary's data, submitted at now by sourceID.
func newBundle(d *docbridge.Document, p *docbridge.Pairing, sourceID string, now time.Time) (*envelope, error) {
	sum, err := checkBody(d)
	if err != nil {
		return nil, err
	}
	if missing := missingForPDSm(d); len(missing) > 0 {
		return nil, docbridge.Errorf(docbridge.MissingMetadata, "document %s lacks what PDSm requires: %s", d.UniqueID, strings.Join(missing, ", "))
	}
	sourceID = strings.TrimPrefix(sourceID, "urn:oid:")
	if !oidPattern.MatchString(sourceID) {
		return nil, docbridge.Errorf(docbridge.Internal, "the source id %q is not an OID; check mes.source_id", sourceID)
	}
	date := now.Truncate(time.Second).Format(time.RFC3339)
	listURL, docURL, binURL := entryURN(d, "list"), entryURN(d, "document"), entryURN(d, "binary")
	submission := "urn:oid:" + uuidOID(nameUUID(d, "submissionset"))

	entries := []bundleEntry{{
		FullURL:  listURL,
		Resource: newSubmissionSet(d, p, submission, sourceID, docURL, date),
		Request:  bundleRequest{Method: http.MethodPost, URL: "List"},
	}}
	if d.Action == docbridge.Replace {
		entries = append(entries, bundleEntry{
			FullURL:  entryURN(d, "supersede"),
			Resource: supersedePatch(false),
			Request:  bundleRequest{Method: http.MethodPatch, URL: conditionalURL(d.Replaces)},
		})
	}
	entries = append(entries, bundleEntry{
		FullURL:  docURL,
		Resource: newComprehensiveDocRef(d, p, base64.StdEncoding.EncodeToString(sum), binURL, date),
		Request:  bundleRequest{Method: http.MethodPost, URL: "DocumentReference"},
	})

	var b bytes.Buffer
	o := openObject(&b, "  ")
	o.add("resourceType", "Bundle")
	o.add("meta", fhirMeta{Profile: []string{profileProvideBundle}})
	o.add("type", "transaction")
	o.add("timestamp", date)
	o.key("entry")
	b.WriteString("[\n    ")
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("    ", "  ")
	for _, e := range entries {
		if err := enc.Encode(e); err != nil {
			return nil, docbridge.Wrap(docbridge.Internal, "render the bundle of "+d.UniqueID, err)
		}
		b.Truncate(b.Len() - 1) // Encode's newline
		b.WriteString(",\n    ")
	}
	eo := o.open("      ")
	eo.add("fullUrl", binURL)
	eo.key("resource")
	ro := eo.open("        ")
	ro.add("resourceType", "Binary")
	ro.add("contentType", d.ContentType)
	ro.key("data")
	if err := o.err(); err != nil {
		return nil, docbridge.Wrap(docbridge.Internal, "render the bundle of "+d.UniqueID, err)
	}
	b.WriteByte('"')
	return &envelope{
		uniqueID: d.UniqueID,
		prefix:   b.Bytes(),
		suffix:   []byte("\"\n      },\n      \"request\": {\n        \"method\": \"POST\",\n        \"url\": \"Binary\"\n      }\n    }\n  ]\n}\n"),
		size:     d.Size,
		sum:      sum,
		docEntry: len(entries) - 1,
	}, nil
}

// bundleNamespace is the namespace of the name-based UUIDs of a bundle's
// entries (a random UUID, fixed for docbridge).
var bundleNamespace = [16]byte{0x6f, 0x3c, 0x1e, 0x52, 0x9a, 0x0b, 0x4d, 0x27, 0x8e, 0x61, 0x0d, 0x4f, 0xa2, 0x93, 0xc5, 0x18}

// nameUUID returns the name-based (version 5, RFC 9562) UUID of one part
// of the bundle of d: the same document always gives the same UUIDs.
func nameUUID(d *docbridge.Document, part string) [16]byte {
	h := sha1.New()
	h.Write(bundleNamespace[:])
	for _, s := range []string{part, string(d.Action), d.UniqueID, d.Replaces, d.SHA1} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return u
}

// entryURN is the fullUrl of one entry of d's bundle.
func entryURN(d *docbridge.Document, part string) string {
	u := nameUUID(d, part)
	b := u[:]
	return "urn:uuid:" + hexGroups(b)
}

func hexGroups(b []byte) string {
	const hexdigits = "0123456789abcdef"
	var s strings.Builder
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			s.WriteByte('-')
		}
		s.WriteByte(hexdigits[c>>4])
		s.WriteByte(hexdigits[c&0xf])
	}
	return s.String()
}

// uuidOID is the OID of a UUID (ITU-T X.667): 2.25.<the UUID as an
// integer>.
func uuidOID(u [16]byte) string {
	return "2.25." + new(big.Int).SetBytes(u[:]).String()
}
