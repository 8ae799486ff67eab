package mes_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/docbridge/docbridge/internal/fhirschematest"
)

// The checks every resource docbridge sends to MES goes through
// (emitted_test.go): the official FHIR R4 JSON schema, the elements PDSm
// requires, and local references to contained resources; for the mes-api
// DocumentReference, and the pdsm-iti65 bundle with each of its resources.

// emittedTypes are the resource types docbridge sends, at the top or
// contained: the schema is cut down to them (fhirschematest.Load).
var emittedTypes = []string{
	"Bundle", "List", "DocumentReference", "Binary", "Parameters",
	"Practitioner", "PractitionerRole", "Organization", "Patient",
	"Observation", "Device", // measurements (measure_test.go)
}

var fhirSchema = sync.OnceValues(func() (*fhirschematest.Schema, error) { return fhirschematest.Load(emittedTypes...) })

// reporter is the part of *testing.T the checks use, so that a test can
// check the checks.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// failures is a reporter that only remembers that something failed.
type failures struct{ n int }

func (f *failures) Helper()               {}
func (f *failures) Errorf(string, ...any) { f.n++ }

// validateR4 checks one resource against the FHIR R4 JSON schema, with
// the definition of its resourceType; contained resources and a Bundle's
// entry resources are checked the same way, each against its own
// definition (fhirschematest.Schema.Validate).
func validateR4(t reporter, what string, b []byte) {
	t.Helper()
	sch, err := fhirSchema()
	if err != nil {
		t.Errorf("%s: load the FHIR R4 schema: %v", what, err)
		return
	}
	if err := sch.Validate(b); err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

// rule is what PDSm requires of one resource: JSON paths that must be
// present and not empty, and paths that must be absent. A path is dotted
// member names; arrays are walked (every element must have what follows),
// and extension[<url>] keeps the extensions with that url.
type rule struct {
	required, absent []string
}

const (
	extDesignation = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-designationType"
	extSource      = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId"
)

// pdsmRules are the PDSm (and MHD comprehensive) required elements, per
// resource: PDSm_ComprehensiveProvideDocumentBundle,
// PDSm_SubmissionSetComprehensive, PDSm_ComprehensiveDocumentReference,
// IHE.MHD.Patch.Parameters and the Binary of ITI-65; mes-api's
// DocumentReference is checked against PDSm_SimplifiedPublish (ITI-105).
var pdsmRules = map[string]rule{
	"Bundle": {required: []string{"meta.profile", "type", "entry.fullUrl", "entry.resource", "entry.request.method", "entry.request.url"}},
	"List": {required: []string{
		"meta.profile", "contained",
		"extension[" + extDesignation + "].valueCodeableConcept.coding.system", "extension[" + extDesignation + "].valueCodeableConcept.coding.code",
		"extension[" + extSource + "].valueIdentifier.value",
		"identifier.value", "status", "mode", "code.coding.code", "subject.reference", "subject.identifier.value",
		"date", "source.reference", "entry.item.reference",
	}},
	"DocumentReference": {
		required: []string{
			"meta.profile", "contained", "masterIdentifier.system", "masterIdentifier.value", "status",
			"type.coding.system", "type.coding.code", "category.coding.system", "category.coding.code",
			"subject.reference", "subject.identifier.value", "date", "author.reference", "custodian.reference",
			"securityLabel.coding.system", "securityLabel.coding.code",
			"content.attachment.contentType", "content.attachment.language", "content.attachment.url",
			"content.attachment.size", "content.attachment.hash", "content.attachment.title", "content.attachment.creation",
			"content.format.system", "content.format.code",
			"context.period.start", "context.facilityType.coding.code", "context.practiceSetting.coding.code",
			"context.sourcePatientInfo.reference",
		},
		absent: []string{"content.attachment.data"},
	},
	"Binary":     {required: []string{"contentType", "data"}},
	"Parameters": {required: []string{"parameter.name", "parameter.part.name"}},
}

// mesAPIRule is PDSm_SimplifiedPublish: the content inline, no url.
var mesAPIRule = rule{
	required: []string{
		"meta.profile", "masterIdentifier.value", "status", "type.coding.code", "category.coding.code",
		"subject.identifier.value", "author", "securityLabel.coding.code",
		"content.attachment.contentType", "content.attachment.language", "content.attachment.data",
		"content.attachment.size", "content.attachment.hash", "content.attachment.title", "content.attachment.creation",
		"content.format.code", "context.facilityType.coding.code", "context.practiceSetting.coding.code",
	},
	absent: []string{"content.attachment.url"},
}

// values walks path from v and returns what it reaches.
func values(v any, path string) []any {
	cur := []any{v}
	for _, seg := range splitPath(path) {
		name, url, filtered := strings.Cut(seg, "[")
		url = strings.TrimSuffix(url, "]")
		var next []any
		for _, c := range cur {
			m, ok := c.(map[string]any)
			if !ok {
				continue
			}
			x, ok := m[name]
			if !ok {
				next = append(next, nil)
				continue
			}
			items, isArray := x.([]any)
			if !isArray {
				items = []any{x}
			}
			for _, it := range items {
				if e, ok := it.(map[string]any); filtered && (!ok || e["url"] != url) {
					continue
				}
				next = append(next, it)
			}
			if filtered && len(next) == 0 {
				next = append(next, nil)
			}
		}
		cur = next
	}
	return cur
}

// splitPath splits on dots outside brackets (urls have dots).
func splitPath(p string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range p {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
		case '.':
			if depth == 0 {
				out = append(out, p[start:i])
				start = i + 1
			}
		}
	}
	return append(out, p[start:])
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// checkRule checks resource r (decoded JSON) against ru.
func checkRule(t reporter, what string, r map[string]any, ru rule) {
	t.Helper()
	for _, p := range ru.required {
		vs := values(r, p)
		if len(vs) == 0 {
			t.Errorf("%s: %s is missing", what, p)
		}
		for _, v := range vs {
			if empty(v) {
				t.Errorf("%s: %s is missing or empty", what, p)
				break
			}
		}
	}
	for _, p := range ru.absent {
		for _, v := range values(r, p) {
			if v != nil {
				t.Errorf("%s: %s must be absent", what, p)
				break
			}
		}
	}
	if r["resourceType"] != "Bundle" {
		checkContainedRefs(t, what, r)
	}
}

var localRef = regexp.MustCompile(`"reference":"#([^"]*)"`)

// checkContainedRefs checks that every local reference resolves to a
// contained resource and every contained resource is referred to (FHIR
// invariants ref-1 and dom-3, which the JSON schema cannot express).
func checkContainedRefs(t reporter, what string, r map[string]any) {
	t.Helper()
	ids := map[string]bool{}
	contained, _ := r["contained"].([]any)
	for _, c := range contained {
		id, _ := c.(map[string]any)["id"].(string)
		ids[id] = false
	}
	b, _ := json.Marshal(r)
	for _, m := range localRef.FindAllSubmatch(b, -1) {
		id := string(m[1])
		if _, ok := ids[id]; !ok {
			t.Errorf("%s: #%s refers to no contained resource", what, id)
		}
		ids[id] = true
	}
	for id, used := range ids {
		if !used {
			t.Errorf("%s: contained %s is referred to from nowhere", what, id)
		}
	}
}

// checkBundle validates a pdsm-iti65 bundle and each of its resources, and
// returns the bundle decoded.
func checkBundle(t reporter, what string, b []byte) map[string]any {
	t.Helper()
	validateR4(t, what, b)
	var bundle map[string]any
	if err := json.Unmarshal(b, &bundle); err != nil {
		t.Errorf("%s: %v", what, err)
		return nil
	}
	checkRule(t, what, bundle, pdsmRules["Bundle"])
	entries, _ := bundle["entry"].([]any)
	for i, e := range entries {
		res, _ := e.(map[string]any)["resource"].(map[string]any)
		rt, _ := res["resourceType"].(string)
		name := fmt.Sprintf("%s entry %d (%s)", what, i, rt)
		rb, _ := json.Marshal(res)
		validateR4(t, name, rb)
		ru, ok := pdsmRules[rt]
		if !ok {
			t.Errorf("%s: no PDSm rule for %s", name, rt)
		}
		checkRule(t, name, res, ru)
	}
	return bundle
}

// checkDocumentReference validates a mes-api DocumentReference.
func checkDocumentReference(t reporter, what string, b []byte) {
	t.Helper()
	validateR4(t, what, b)
	var r map[string]any
	if err := json.Unmarshal(b, &r); err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	checkRule(t, what, r, mesAPIRule)
}
