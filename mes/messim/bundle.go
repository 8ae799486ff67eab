package messim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// The ITI-65 transaction bundle as the simulator reads it (pdsm-iti65):
// the Bundle and its entries are decoded strictly, each entry's resource
// is kept raw until its resourceType says which strict form to decode it
// into. The Binary's data never reaches the decoder: the filter streams it
// into the upload.

type meta struct {
	element
	VersionID   json.RawMessage `json:"versionId"`
	LastUpdated json.RawMessage `json:"lastUpdated"`
	Source      json.RawMessage `json:"source"`
	Profile     []string        `json:"profile"`
	Security    json.RawMessage `json:"security"`
	Tag         json.RawMessage `json:"tag"`
}

type bundleRequest struct {
	backbone
	Method          string          `json:"method"`
	URL             string          `json:"url"`
	IfNoneMatch     json.RawMessage `json:"ifNoneMatch"`
	IfModifiedSince json.RawMessage `json:"ifModifiedSince"`
	IfMatch         json.RawMessage `json:"ifMatch"`
	IfNoneExist     json.RawMessage `json:"ifNoneExist"`
}

type bundleEntryIn struct {
	backbone
	Link     json.RawMessage `json:"link"`
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
	Search   json.RawMessage `json:"search"`
	Request  *bundleRequest  `json:"request"`
	Response json.RawMessage `json:"response"`
}

type bundleIn struct {
	ResourceType  string          `json:"resourceType"`
	ID            json.RawMessage `json:"id"`
	Meta          *meta           `json:"meta"`
	ImplicitRules json.RawMessage `json:"implicitRules"`
	Language      json.RawMessage `json:"language"`
	Identifier    json.RawMessage `json:"identifier"`
	Type          string          `json:"type"`
	Timestamp     json.RawMessage `json:"timestamp"`
	Total         json.RawMessage `json:"total"`
	Link          json.RawMessage `json:"link"`
	Entry         []bundleEntryIn `json:"entry"`
	Signature     json.RawMessage `json:"signature"`
}

// extension is read loosely: its url, and the value types the simulator
// checks.
type extension struct {
	URL                  string      `json:"url"`
	ValueCodeableConcept *concept    `json:"valueCodeableConcept"`
	ValueIdentifier      *identifier `json:"valueIdentifier"`
}

type listEntry struct {
	backbone
	Flag    json.RawMessage `json:"flag"`
	Deleted json.RawMessage `json:"deleted"`
	Date    json.RawMessage `json:"date"`
	Item    *reference      `json:"item"`
}

// listIn is the SubmissionSet List.
type listIn struct {
	ResourceType      string            `json:"resourceType"`
	ID                json.RawMessage   `json:"id"`
	Meta              *meta             `json:"meta"`
	ImplicitRules     json.RawMessage   `json:"implicitRules"`
	Language          json.RawMessage   `json:"language"`
	Text              json.RawMessage   `json:"text"`
	Contained         []json.RawMessage `json:"contained"`
	Extension         []json.RawMessage `json:"extension"`
	ModifierExtension json.RawMessage   `json:"modifierExtension"`
	Identifier        []identifier      `json:"identifier"`
	Status            string            `json:"status"`
	Mode              string            `json:"mode"`
	Title             json.RawMessage   `json:"title"`
	Code              *concept          `json:"code"`
	Subject           *reference        `json:"subject"`
	Encounter         json.RawMessage   `json:"encounter"`
	Date              string            `json:"date"`
	Source            *reference        `json:"source"`
	OrderedBy         json.RawMessage   `json:"orderedBy"`
	Note              json.RawMessage   `json:"note"`
	Entry             []listEntry       `json:"entry"`
	EmptyReason       json.RawMessage   `json:"emptyReason"`
}

type binaryIn struct {
	ResourceType    string          `json:"resourceType"`
	ID              json.RawMessage `json:"id"`
	Meta            *meta           `json:"meta"`
	ImplicitRules   json.RawMessage `json:"implicitRules"`
	Language        json.RawMessage `json:"language"`
	ContentType     string          `json:"contentType"`
	SecurityContext json.RawMessage `json:"securityContext"`
	Data            *string         `json:"data"`
}

// parameter is one FHIRPath Patch argument, with the value types a patch
// of DocumentReference.status and of an extension use.
type parameter struct {
	element
	ModifierExtension json.RawMessage `json:"modifierExtension"`
	Name              string          `json:"name"`
	ValueCode         *string         `json:"valueCode"`
	ValueString       *string         `json:"valueString"`
	ValueURI          *string         `json:"valueUri"`
	ValueBoolean      *bool           `json:"valueBoolean"`
	Part              []parameter     `json:"part"`
}

type parametersIn struct {
	ResourceType  string          `json:"resourceType"`
	ID            json.RawMessage `json:"id"`
	Meta          *meta           `json:"meta"`
	ImplicitRules json.RawMessage `json:"implicitRules"`
	Language      json.RawMessage `json:"language"`
	Parameter     []parameter     `json:"parameter"`
}

// transaction is a parsed ITI-65 request: the entries by role, and the
// DocumentReference with what the Binary's data decoded to.
type transaction struct {
	bundle bundleIn
	list   *listIn
	patch  *parametersIn
	binary *binaryIn
	sub    submission // the DocumentReference, and the decoded data

	// The index of each resource's entry, -1 when absent.
	listAt, patchAt, docAt, binaryAt int
	// resourceErr is the first entry whose resource could not be decoded
	// in its strict form.
	resourceErr *problem
}

// parseBundle reads an ITI-65 Bundle from body, streaming the Binary's data
// into a decoder that writes the content to w. Errors are 400 (structure)
// or 413 problems.
func parseBundle(body io.Reader, w io.Writer) (*transaction, *problem) {
	sink := newB64Sink(w)
	f := newDataFilter(body, sink, binaryDataPath)
	tx := &transaction{listAt: -1, patchAt: -1, docAt: -1, binaryAt: -1}
	tx.sub.profile = profilePDSm
	if p := decodeOne(f, &tx.bundle, "Bundle"); p != nil {
		return nil, p
	}
	if tx.bundle.ResourceType != "Bundle" {
		return nil, &problem{status: http.StatusBadRequest, code: "structure", expr: "resourceType", diag: "resourceType must be Bundle"}
	}
	seen := f.diverts
	for i, e := range tx.bundle.Entry {
		if p := tx.decodeEntry(i, e.Resource); p != nil && tx.resourceErr == nil {
			tx.resourceErr = p
		}
	}
	if tx.binary != nil && tx.binary.Data != nil && *tx.binary.Data != "" {
		// Not seen by the filter (an escaped member name): decode it here.
		sink.write([]byte(*tx.binary.Data))
		seen++
	}
	tx.sub.dataSeen = seen
	tx.sub.hasData = seen > 0
	tx.sub.dataErr = sink.close()
	tx.sub.size = sink.n
	tx.sub.sum = sink.h.Sum(nil)
	return tx, nil
}

// decodeEntry decodes entry i's resource in the strict form of its type;
// a second resource in a role the bundle has once is a 422 problem.
func (tx *transaction) decodeEntry(i int, raw json.RawMessage) *problem {
	expr := fmt.Sprintf("Bundle.entry[%d].resource", i)
	var peek struct {
		ResourceType string `json:"resourceType"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &peek) != nil {
		return invalid("required", expr, "every entry needs a resource")
	}
	strict := func(v any) *problem {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			return &problem{status: http.StatusBadRequest, code: "structure", expr: expr, diag: "the " + peek.ResourceType + " is not valid: " + jsonError(err)}
		}
		return nil
	}
	once := func(at *int) *problem {
		if *at >= 0 {
			return invalid("not-supported", expr, "the bundle may hold one %s only", peek.ResourceType)
		}
		*at = i
		return nil
	}
	switch peek.ResourceType {
	case "List":
		if p := once(&tx.listAt); p != nil {
			return p
		}
		tx.list = new(listIn)
		return strict(tx.list)
	case "DocumentReference":
		if p := once(&tx.docAt); p != nil {
			return p
		}
		return strict(&tx.sub.doc)
	case "Binary":
		if p := once(&tx.binaryAt); p != nil {
			return p
		}
		tx.binary = new(binaryIn)
		return strict(tx.binary)
	case "Parameters":
		if p := once(&tx.patchAt); p != nil {
			return p
		}
		tx.patch = new(parametersIn)
		return strict(tx.patch)
	}
	return invalid("not-supported", expr, "a %q entry is not supported: the bundle holds a SubmissionSet List, one DocumentReference, its Binary and, for a replacement, a Parameters patch", peek.ResourceType)
}

// containedIDs reads the ids and types of contained resources.
func containedIDs(raw []json.RawMessage, expr string) (map[string]string, *problem) {
	ids := map[string]string{}
	for i, r := range raw {
		var c struct {
			ResourceType string `json:"resourceType"`
			ID           string `json:"id"`
		}
		if json.Unmarshal(r, &c) != nil || c.ResourceType == "" || c.ID == "" {
			return nil, invalid("required", fmt.Sprintf("%s[%d]", expr, i), "a contained resource needs a resourceType and an id")
		}
		if _, dup := ids[c.ID]; dup {
			return nil, invalid("value", fmt.Sprintf("%s[%d].id", expr, i), "contained ids must be unique")
		}
		ids[c.ID] = c.ResourceType
	}
	return ids, nil
}
