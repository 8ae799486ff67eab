// Package fhirschema checks FHIR R4 resources against the official R4 JSON
// schema (testdata/README.md says where it comes from), for the tests of
// the packages that write FHIR: internal/audit's AuditEvents,
// watch/fhirhttp's OperationOutcomes, what mes sends, the command's audit
// export. Only tests import it: the schema is embedded, 280 KiB gzipped.
//
// The whole schema is slow to compile (its 146 resources take the race
// detector about ten seconds), so Load cuts it down to the resource types
// a test writes, and Validate checks each resource against the definition
// of its own type.
package fhirschematest

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ID is the id of the official FHIR R4 JSON schema.
const ID = "http://hl7.org/fhir/json-schema/4.0"

//go:embed testdata/fhir.schema.json.gz
var schemaGzip []byte

// Schema is the official R4 schema cut down to some resource types. It is
// safe for concurrent use.
type Schema struct {
	types    map[string]bool
	mu       sync.Mutex // guards compiler and compiled
	compiler *jsonschema.Compiler
	compiled map[string]*jsonschema.Schema
}

// Load reads the official R4 schema and keeps the resource types given:
// the schema's ResourceList (a contained resource, a Bundle entry's or a
// Parameters' resource) is restricted to them, and the definitions they do
// not reach are left out; the definitions kept are unchanged. It fails when
// types is empty or names a type R4 does not have. Load decodes the whole
// schema (a third of a second under the race detector): call it once per
// test binary (sync.OnceValues).
func Load(types ...string) (*Schema, error) {
	if len(types) == 0 {
		return nil, fmt.Errorf("fhirschematest.Load needs at least one resource type")
	}
	zr, err := gzip.NewReader(bytes.NewReader(schemaGzip))
	if err != nil {
		return nil, fmt.Errorf("the embedded FHIR R4 schema: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(zr)
	if err != nil {
		return nil, fmt.Errorf("the embedded FHIR R4 schema: %w", err)
	}
	keep := map[string]bool{}
	for _, rt := range types {
		keep[rt] = true
	}
	if err := trim(doc, keep); err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(ID, doc); err != nil {
		return nil, err
	}
	return &Schema{types: keep, compiler: c, compiled: map[string]*jsonschema.Schema{}}, nil
}

// trim restricts the schema document to the resource types of keep: the
// compiler compiles every definition of a document, so only those the kept
// types reach stay, and the root's union of all resources goes.
func trim(doc any, keep map[string]bool) error {
	root, _ := doc.(map[string]any)
	defs, _ := root["definitions"].(map[string]any)
	list, _ := defs["ResourceList"].(map[string]any)
	all, _ := list["oneOf"].([]any)
	var kept []any
	for _, r := range all {
		ref, _ := r.(map[string]any)["$ref"].(string)
		if keep[strings.TrimPrefix(ref, "#/definitions/")] {
			kept = append(kept, r)
		}
	}
	if len(kept) != len(keep) {
		var unknown []string
		for rt := range keep {
			if _, ok := defs[rt]; !ok {
				unknown = append(unknown, rt)
			}
		}
		slices.Sort(unknown)
		return fmt.Errorf("FHIR R4 has no resource type %s", strings.Join(unknown, ", "))
	}
	list["oneOf"] = kept
	reached := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				name := strings.TrimPrefix(ref, "#/definitions/")
				if !reached[name] {
					reached[name] = true
					walk(defs[name])
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for rt := range keep {
		walk(map[string]any{"$ref": "#/definitions/" + rt})
	}
	for name := range defs {
		if !reached[name] {
			delete(defs, name)
		}
	}
	delete(root, "oneOf")
	delete(root, "discriminator")
	return nil
}

// resource returns the compiled definition of one resource type, so that
// errors name the right resource.
func (s *Schema) resource(resourceType string) (*jsonschema.Schema, error) {
	if !s.types[resourceType] {
		return nil, fmt.Errorf("resourceType %q is not one of the types the schema was loaded with", resourceType)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.compiled[resourceType]; ok {
		return sch, nil
	}
	sch, err := s.compiler.Compile(ID + "#/definitions/" + resourceType)
	if err != nil {
		return nil, err
	}
	s.compiled[resourceType] = sch
	return sch, nil
}
