package mes

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/docbridge/docbridge"
)

// SearchQuery narrows a search of one paired patient's documents.
type SearchQuery struct {
	// Status lists the statuses wanted: "current", "superseded"; empty
	// means current only. Deleted documents are never found.
	Status []string
	// UniqueID, if set, is the uniqueId (masterIdentifier) of the document
	// wanted, in docbridge's form.
	UniqueID string
	// Type, if it has a code, is the document type wanted.
	Type docbridge.Coding
	// PageSize is the number of documents asked of MES per page; 0 means
	// 100. Search follows the pages.
	PageSize int
}

// Found is one document a search found: what MES holds of it, without
// patient data.
type Found struct {
	MESID       string           `json:"mesId"`
	UniqueID    string           `json:"uniqueId"` // docbridge's form: urn:oid:…, urn:uuid:… or <root>^<extension>
	Status      string           `json:"status"`
	Type        docbridge.Coding `json:"type"`
	Title       string           `json:"title,omitempty"`
	Creation    string           `json:"creation,omitempty"`
	ContentType string           `json:"contentType,omitempty"`
	Size        int64            `json:"size"`
	SHA1        string           `json:"sha1,omitempty"` // hex, from attachment.hash
	URL         string           `json:"url"`            // absolute: what Retrieve takes
	Replaces    string           `json:"replaces,omitempty"`
}

// maxSearchPages bounds how many pages one search reads.
const maxSearchPages = 100

// Search finds the documents MES holds for the patient of pairing p,
// identified by the pairing's INS, with the Client's profile (ITI-67 for
// pdsm-iti65; the search of the Documents API for mes-api, see wire.go).
// The query's criteria are sent where the profile has them and always
// applied to what comes back. It follows the searchset's next links on
// the MES host, up to 100 pages.
//
// Search blocks until MES has answered every page or ctx is done. Errors
// are *docbridge.Error classified as Deliver's: MESUnavailable (network,
// 5xx, an answer that is not a searchset), PairingRevoked (401, or
// p.Revoked), MESRejected (other 4xx), MissingINS (the pairing holds no
// INS), Internal (no token, a next link off the MES host, too many pages).
func (c *Client) Search(ctx context.Context, p docbridge.Pairing, q SearchQuery) ([]Found, error) {
	if err := checkReader(p); err != nil {
		return nil, err
	}
	if p.Patient.INS == "" {
		return nil, docbridge.Errorf(docbridge.MissingINS, "pairing %s holds no INS to search by", p.ID)
	}
	if len(q.Status) == 0 {
		q.Status = []string{"current"}
	}
	if q.PageSize <= 0 {
		q.PageSize = 100
	}
	redact := newRedactor(&docbridge.Document{}, &p)
	var found []Found
	next := searchURL(c.base, c.o.Profile, p.Patient, q)
	for page := 0; next != ""; page++ {
		if page == maxSearchPages {
			return nil, docbridge.Errorf(docbridge.Internal, "the search of pairing %s has more than %d pages; narrow it", p.ID, maxSearchPages)
		}
		body, err := c.get(ctx, next, p, mediaFHIRJSON, redact)
		if err != nil {
			return nil, err
		}
		docs, link, ok := parseSearchset(body)
		if !ok {
			return nil, docbridge.Errorf(docbridge.MESUnavailable, "MES's answer to a search is not a FHIR searchset Bundle; check the MES base URL")
		}
		for _, f := range docs {
			if f.URL, err = c.onBase(f.URL); err != nil {
				f.URL = "" // not on MES's host: Retrieve would refuse it
			}
			if q.matches(f) {
				found = append(found, f)
			}
		}
		if next = ""; link != "" {
			if next, err = c.onBase(link); err != nil {
				return nil, err
			}
		}
	}
	return found, nil
}

// checkReader refuses to read with a pairing that cannot.
func checkReader(p docbridge.Pairing) error {
	if p.Revoked {
		return docbridge.Errorf(docbridge.PairingRevoked, "pairing %s is revoked", p.ID)
	}
	if p.AccessToken == "" {
		return docbridge.Errorf(docbridge.Internal, "pairing %s has no access token", p.ID)
	}
	return nil
}

// matches reports whether f meets the query.
func (q SearchQuery) matches(f Found) bool {
	if !slices.Contains(q.Status, f.Status) {
		return false
	}
	if q.UniqueID != "" && f.UniqueID != q.UniqueID {
		return false
	}
	return q.Type.Code == "" || q.Type.Code == f.Type.Code && oidURI(q.Type.System) == oidURI(f.Type.System)
}

// get GETs url with p's token and returns the body of a 2xx answer; other
// answers are classified as Deliver's.
func (c *Client) get(ctx context.Context, url string, p docbridge.Pairing, accept string, redact func(string) string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, docbridge.Wrap(docbridge.Internal, "build the MES request; check the MES base URL", err)
	}
	setHeaders(req.Header, p.AccessToken, newRequestID(), c.ua)
	req.Header.Set("Accept", accept)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, docbridge.Wrap(docbridge.MESUnavailable, "search MES: MES could not be reached", err)
	}
	body, _, err := readAnswer(req, resp, req.Header.Get(headerRequestID), redact)
	return body, err
}

// foundDocRef is what Search reads of a DocumentReference.
type foundDocRef struct {
	ResourceType     string          `json:"resourceType"`
	ID               string          `json:"id"`
	MasterIdentifier *fhirIdentifier `json:"masterIdentifier"`
	Status           string          `json:"status"`
	Type             *fhirConcept    `json:"type"`
	RelatesTo        []struct {
		Code   string        `json:"code"`
		Target fhirReference `json:"target"`
	} `json:"relatesTo"`
	Content []struct {
		Attachment struct {
			ContentType string `json:"contentType"`
			URL         string `json:"url"`
			Size        int64  `json:"size"`
			Hash        string `json:"hash"`
			Title       string `json:"title"`
			Creation    string `json:"creation"`
		} `json:"attachment"`
	} `json:"content"`
}

// parseSearchset reads one page of a searchset: its DocumentReferences
// (other entries, such as OperationOutcome warnings, are skipped) and its
// next link. ok is false when body is not a searchset Bundle.
func parseSearchset(body []byte) (docs []Found, next string, ok bool) {
	var b struct {
		ResourceType string `json:"resourceType"`
		Type         string `json:"type"`
		Link         []struct {
			Relation string `json:"relation"`
			URL      string `json:"url"`
		} `json:"link"`
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if json.Unmarshal(body, &b) != nil || b.ResourceType != "Bundle" || b.Type != "searchset" {
		return nil, "", false
	}
	for _, l := range b.Link {
		if l.Relation == "next" {
			next = l.URL
		}
	}
	for _, e := range b.Entry {
		var r foundDocRef
		if json.Unmarshal(e.Resource, &r) != nil || r.ResourceType != "DocumentReference" {
			continue
		}
		docs = append(docs, r.found())
	}
	return docs, next, true
}

// found turns what MES answered into a Found.
func (r *foundDocRef) found() Found {
	f := Found{MESID: r.ID, Status: r.Status}
	if r.MasterIdentifier != nil {
		f.UniqueID = docbridgeUniqueID(*r.MasterIdentifier)
	}
	if r.Type != nil && len(r.Type.Coding) > 0 {
		c := r.Type.Coding[0]
		f.Type = docbridge.Coding{System: c.System, Code: c.Code, Display: c.Display}
	}
	for _, rt := range r.RelatesTo {
		if rt.Code == "replaces" && rt.Target.Identifier != nil {
			f.Replaces = docbridgeUniqueID(*rt.Target.Identifier)
		}
	}
	if len(r.Content) > 0 {
		a := r.Content[0].Attachment
		f.Title, f.Creation, f.ContentType, f.Size, f.URL = a.Title, a.Creation, a.ContentType, a.Size, a.URL
		if h, err := base64.StdEncoding.DecodeString(a.Hash); err == nil && len(h) == 20 {
			f.SHA1 = hex.EncodeToString(h)
		}
	}
	return f
}

// docbridgeUniqueID is uniqueIdentifier's inverse: a URI identifier gives
// its value, an OID-rooted one "<root>^<extension>".
func docbridgeUniqueID(id fhirIdentifier) string {
	if root, ok := strings.CutPrefix(id.System, "urn:oid:"); ok {
		return root + "^" + id.Value
	}
	return id.Value
}
