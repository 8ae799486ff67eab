package mappings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// fhirResource holds the fields of a FHIR R4 (or R5) ValueSet, CodeSystem or
// ConceptMap that this package reads; the rest of the resource is ignored.
type fhirResource struct {
	ResourceType string          `json:"resourceType"`
	URL          string          `json:"url"`
	Name         string          `json:"name"`
	Identifier   fhirIdentifiers `json:"identifier"`

	// ValueSet
	Compose *struct {
		Include []fhirInclude   `json:"include"`
		Exclude json.RawMessage `json:"exclude"`
	} `json:"compose"`

	// CodeSystem
	Concept []fhirConcept `json:"concept"`

	// ConceptMap
	Group []struct {
		Source  string `json:"source"`
		Target  string `json:"target"`
		Element []struct {
			Code   string `json:"code"`
			Target []struct {
				Code         string `json:"code"`
				Equivalence  string `json:"equivalence"`  // R4
				Relationship string `json:"relationship"` // R5
			} `json:"target"`
		} `json:"element"`
	} `json:"group"`
}

// fhirIdentifiers reads identifier as the array of ValueSet and CodeSystem
// or the single object of an R4 ConceptMap.
type fhirIdentifiers []struct {
	Value string `json:"value"`
}

func (ids *fhirIdentifiers) UnmarshalJSON(b []byte) error {
	type list fhirIdentifiers
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '{' {
		*ids = make(fhirIdentifiers, 1)
		return json.Unmarshal(b, &(*ids)[0])
	}
	return json.Unmarshal(b, (*list)(ids))
}

type fhirInclude struct {
	System   string          `json:"system"`
	Concept  []fhirConcept   `json:"concept"`
	Filter   json.RawMessage `json:"filter"`
	ValueSet json.RawMessage `json:"valueSet"`
}

type fhirConcept struct {
	Code     string        `json:"code"`
	Display  string        `json:"display"`
	Concept  []fhirConcept `json:"concept"` // CodeSystem hierarchy
	Property []struct {
		Code      string `json:"code"`
		ValueCode string `json:"valueCode"`
	} `json:"property"`
}

// retired reports whether a CodeSystem concept's status property says it may
// no longer be used.
func (c fhirConcept) retired() bool {
	for _, p := range c.Property {
		if p.Code == "status" && (p.ValueCode == "deprecated" || p.ValueCode == "retired") {
			return true
		}
	}
	return false
}

// parseFHIR reads a FHIR JSON ValueSet (compose.include with explicit concept
// lists only), CodeSystem (every concept not deprecated or retired; the
// system is the CodeSystem's OID identifier, else its url) or ConceptMap
// (group.source/target are the systems; targets whose equivalence says they
// do not map are left out).
func parseFHIR(data []byte) (*table, error) {
	var r fhirResource
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, jsonError(data, err)
	}
	t := &table{name: shortName(r.Name)}
	oid := ""
	for _, id := range r.Identifier {
		if v := strings.TrimPrefix(id.Value, "urn:oid:"); isOID(v) {
			oid = v
		}
	}
	t.addAliases(r.Name, oid, r.URL)
	switch r.ResourceType {
	case "ValueSet":
		return t, t.readValueSet(&r)
	case "CodeSystem":
		system := r.URL
		if oid != "" {
			system = oid
		}
		if system == "" {
			return nil, errors.New("url: CodeSystem without url or OID identifier")
		}
		t.readCodeSystem(system, r.Concept, "concept")
		return t, nil
	case "ConceptMap":
		t.isMap = true
		return t, t.readConceptMap(&r)
	default:
		return nil, fmt.Errorf("resourceType: %q, want ValueSet, CodeSystem or ConceptMap", r.ResourceType)
	}
}

func (t *table) readValueSet(r *fhirResource) error {
	if r.Compose == nil {
		return errors.New("compose: missing (expansions are not read)")
	}
	if len(r.Compose.Exclude) > 0 {
		return errors.New("compose.exclude: not supported")
	}
	for i, inc := range r.Compose.Include {
		at := fmt.Sprintf("compose.include[%d]", i)
		switch {
		case len(inc.Filter) > 0 || len(inc.ValueSet) > 0:
			return fmt.Errorf("%s: filter and valueSet includes are not supported, list the concepts", at)
		case inc.System == "":
			return fmt.Errorf("%s.system: missing", at)
		case len(inc.Concept) == 0:
			return fmt.Errorf("%s.concept: missing (a whole code system cannot be included)", at)
		}
		for j, c := range inc.Concept {
			cat := fmt.Sprintf("%s.concept[%d]", at, j)
			if strings.TrimSpace(c.Code) == "" {
				return fmt.Errorf("%s.code: missing", cat)
			}
			t.concepts = append(t.concepts, member{key: keyOf(inc.System, c.Code), display: c.Display, at: cat})
		}
	}
	return nil
}

func (t *table) readCodeSystem(system string, cs []fhirConcept, at string) {
	for i, c := range cs {
		cat := fmt.Sprintf("%s[%d]", at, i)
		if strings.TrimSpace(c.Code) != "" && !c.retired() {
			t.concepts = append(t.concepts, member{key: keyOf(system, c.Code), display: c.Display, at: cat})
		}
		t.readCodeSystem(system, c.Concept, cat+".concept")
	}
}

func (t *table) readConceptMap(r *fhirResource) error {
	for i, g := range r.Group {
		for j, e := range g.Element {
			at := fmt.Sprintf("group[%d].element[%d]", i, j)
			if strings.TrimSpace(e.Code) == "" {
				return fmt.Errorf("%s.code: missing", at)
			}
			for k, tg := range e.Target {
				if !maps(tg.Equivalence, tg.Relationship) {
					continue
				}
				if strings.TrimSpace(tg.Code) == "" {
					return fmt.Errorf("%s.target[%d].code: missing", at, k)
				}
				t.pairs = append(t.pairs, pair{src: keyOf(g.Source, e.Code), dst: keyOf(g.Target, tg.Code), at: at})
			}
		}
	}
	return nil
}

// maps reports whether a ConceptMap target's R4 equivalence or R5
// relationship says the source does map to it.
func maps(equivalence, relationship string) bool {
	switch equivalence {
	case "unmatched", "disjoint":
		return false
	}
	return relationship != "not-related-to"
}

// jsonError adds the line to encoding/json's syntax and type errors.
func jsonError(data []byte, err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("line %d: %w", lineAt(data, syn.Offset), err)
	case errors.As(err, &typ):
		return fmt.Errorf("line %d: field %s: %w", lineAt(data, typ.Offset), typ.Field, err)
	}
	return err
}

func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte("\n")) + 1
}
