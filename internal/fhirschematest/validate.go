package fhirschematest

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Validate checks one resource, as JSON, against the definition of its
// resourceType. Contained resources and a Bundle's entry resources are
// taken out and checked the same way, each against its own definition
// (exact, and faster than the schema's oneOf over resource types). The
// schema's base64Binary is any string: a test that cares about data decodes
// it. The error joins one error per invalid resource, each but the top one
// prefixed with where it is ("entry[1] contained[0]").
func (s *Schema) Validate(resource []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(resource))
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	r, ok := v.(map[string]any)
	if !ok {
		return errors.New("not a JSON object")
	}
	var errs []error
	s.validate("", r, &errs)
	return errors.Join(errs...)
}

// validate checks resource r found at where, appending to errs; it takes
// the nested resources out of r.
func (s *Schema) validate(where string, r map[string]any, errs *[]error) {
	at := func(sub string) string {
		if where == "" {
			return sub
		}
		return where + " " + sub
	}
	if contained, ok := r["contained"].([]any); ok {
		for i, c := range contained {
			if cr, ok := c.(map[string]any); ok {
				s.validate(at(fmt.Sprintf("contained[%d]", i)), cr, errs)
			}
		}
		r["contained"] = []any{}
	}
	if entries, ok := r["entry"].([]any); ok && r["resourceType"] == "Bundle" {
		for i, e := range entries {
			if em, ok := e.(map[string]any); ok {
				if er, ok := em["resource"].(map[string]any); ok {
					s.validate(at(fmt.Sprintf("entry[%d]", i)), er, errs)
					delete(em, "resource")
				}
			}
		}
	}
	fail := func(err error) {
		if where != "" {
			err = fmt.Errorf("%s: %w", where, err)
		}
		*errs = append(*errs, err)
	}
	rt, _ := r["resourceType"].(string)
	sch, err := s.resource(rt)
	if err != nil {
		fail(err)
		return
	}
	if err := sch.Validate(r); err != nil {
		fail(fmt.Errorf("not a valid FHIR R4 %s: %w", rt, err))
	}
}
