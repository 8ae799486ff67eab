package fhir

import (
	"encoding/json"
	"fmt"
	"slices"

	fm "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/docbridge/docbridge"
)

// bundleType reads Bundle.type from the raw JSON: samply's zero value is
// "document", so a Bundle without type would read as a document.
func bundleType(raw []byte) (string, error) {
	var t struct {
		Type *string `json:"type"`
	}
	if err := json.Unmarshal(raw, &t); err != nil {
		return "", malformed("the Bundle", err)
	}
	if t.Type == nil || *t.Type == "" {
		return "", docbridge.Errorf(docbridge.Malformed, "the Bundle has no type: docbridge reads a transaction (ITI-65) or a document Bundle")
	}
	return *t.Type, nil
}

// entryMethods reads each entry's request.method from the raw JSON:
// samply's zero value is GET.
type entryMethods struct {
	Entry []struct {
		Request *struct {
			Method *string `json:"method"`
		} `json:"request"`
	} `json:"entry"`
}

// transaction converts an ITI-65 Provide Document Bundle: one document per
// DocumentReference created by the transaction (POST, status current),
// each with the bytes of the Binary its attachment.url names. The
// SubmissionSet List and the Folders are not kept, but their subject must
// name the documents' patient (agreeWithSubmission); DocumentReferences the
// transaction updates (the superseded version of a replacement) are read
// only to resolve relatesTo. A Bundle without a new DocumentReference, an
// entry whose content is not in the Bundle, or two documents with one
// masterIdentifier refuse the whole input.
func (c *conv) transaction(raw []byte) ([]*docbridge.Document, error) {
	bundle, err := fm.UnmarshalBundle(raw)
	if err != nil {
		return nil, malformed("the Bundle", err)
	}
	var methods entryMethods
	if err := json.Unmarshal(raw, &methods); err != nil {
		return nil, malformed("the Bundle", err)
	}
	res := &resolver{}
	heads := make([]head, len(bundle.Entry))
	for i, e := range bundle.Entry {
		if len(e.Resource) == 0 {
			continue
		}
		var h head
		if err := json.Unmarshal(e.Resource, &h); err != nil {
			return nil, malformed(fmt.Sprintf("Bundle.entry[%d].resource", i), err)
		}
		heads[i] = h
		res.addEntry(str(e.FullUrl), resource{Type: h.ResourceType, Raw: e.Resource}, h.ID)
	}
	var docs []*docbridge.Document
	var warnings []string
	seen := map[string]int{}
	for i, e := range bundle.Entry {
		path := fmt.Sprintf("Bundle.entry[%d]", i)
		switch heads[i].ResourceType {
		case "DocumentReference":
		case "List", "Binary", "Patient", "Practitioner", "PractitionerRole", "Organization", "Device", "Parameters", "":
			continue
		default:
			warnings = append(warnings, fmt.Sprintf("%s holds a resource of type %s, which an ITI-65 Bundle does not carry: it is ignored", path, clip(heads[i].ResourceType, 40)))
			continue
		}
		method := ""
		if i < len(methods.Entry) && methods.Entry[i].Request != nil && methods.Entry[i].Request.Method != nil {
			method = *methods.Entry[i].Request.Method
		}
		if method != "" && method != "POST" {
			continue // an update of a version this transaction replaces
		}
		d, err := c.documentReference(e.Resource, res, path+".resource")
		if err != nil {
			return nil, err
		}
		if method == "" {
			d.AddProblem(docbridge.MissingMetadata, docbridge.SeverityWarning, "%s.request.method is missing: the DocumentReference is taken as created (POST)", path)
		}
		if prev, dup := seen[d.UniqueID]; dup && d.UniqueID != "" {
			return nil, docbridge.Errorf(docbridge.Malformed,
				"%s has the same masterIdentifier as Bundle.entry[%d]: each document of a submission must have its own", path, prev)
		}
		seen[d.UniqueID] = i
		docs = append(docs, d)
	}
	if len(docs) == 0 {
		msg := "the transaction Bundle creates no DocumentReference: there is no document to publish (an ITI-65 Bundle holds a SubmissionSet List, DocumentReferences and their Binary)"
		if slices.ContainsFunc(heads, func(h head) bool { return h.ResourceType == "Observation" }) {
			msg += "; its Observations are measurements, read only when the sender's source profile turns measurements on (profiles: measurements: true)"
		}
		return nil, docbridge.Errorf(docbridge.UnsupportedFormat, "%s", msg)
	}
	for i, h := range heads {
		if h.ResourceType == "List" {
			c.agreeWithSubmission(docs, bundle.Entry[i].Resource, res, fmt.Sprintf("Bundle.entry[%d]", i))
		}
	}
	for _, d := range docs {
		for _, w := range warnings {
			d.AddProblem(docbridge.UnsupportedFormat, docbridge.SeverityWarning, "%s", w)
		}
	}
	return docs, nil
}
