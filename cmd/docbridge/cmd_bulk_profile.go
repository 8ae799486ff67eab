package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
)

// loadBulkProfile reads the practice profile of `docbridge bulk --profile
// FILE`: one profile's fields at the top level of a YAML file
// (facility_type, practice_setting, custodian, author, confidentiality,
// language, document_type), without name or when, named after the file
// ("practice-profile" for practice-profile.yaml) in Document.Provenance.
// Each code is checked against its national value set. Every problem is a
// usage error naming the file and the field.
func loadBulkProfile(file string, m *mappings.Set) (*docbridge.Profile, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, usageErrorf("bulk --profile: %v", err)
	}
	return parseBulkProfile(b, file, m)
}

// parseBulkProfile is loadBulkProfile of the bytes b of file.
func parseBulkProfile(b []byte, file string, m *mappings.Set) (*docbridge.Profile, error) {
	var p docbridge.Profile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		return nil, usageErrorf("bulk --profile %s: %v", file, yamlError(b, reflect.TypeOf(p), err))
	}
	if p.Name != "" || p.When != (docbridge.ProfileSelector{}) {
		return nil, usageErrorf("bulk --profile %s: name and when belong to the profiles of the configuration; a bulk profile applies to the whole run: remove them", file)
	}
	p.Name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	var bad []string
	check := func(field, vs, code string) {
		if code != "" && !memberCode(m, vs, code) {
			bad = append(bad, fmt.Sprintf("%s %q is not a code of %s", field, code, vs))
		}
	}
	check("facility_type", mappings.FacilityTypes, p.FacilityType)
	check("practice_setting", mappings.PracticeSettings, p.PracticeSetting)
	check("confidentiality", mappings.Confidentiality, p.Confidentiality)
	if p.Author != nil {
		check("author.specialty", mappings.AuthorSpecialty, p.Author.Specialty)
		if p.Author.ID == "" && p.Author.Name == "" {
			bad = append(bad, "author needs an id (RPPS) or a name")
		}
	}
	if p.Custodian != nil && (p.Custodian.ID == "" || p.Custodian.Name == "") {
		bad = append(bad, "custodian needs an id (root^extension, e.g. 1.2.250.1.71.4.2.2^1999999901) and a name")
	}
	// A local type code needs its code system, which a profile cannot
	// give: the index's type_code and type_system columns can.
	check("document_type", mappings.TypeCodes, p.DocumentType)
	if len(bad) > 0 {
		return nil, usageErrorf("bulk --profile %s (%s): %s", file, docbridge.ProfileInvalid, strings.Join(bad, "; "))
	}
	return &p, nil
}

// memberCode reports whether code is a member of the value set vs, in any
// of its code systems.
func memberCode(m *mappings.Set, vs, code string) bool {
	for _, c := range m.Members(vs) {
		if c.Code == code {
			return true
		}
	}
	return false
}

// memberSystem returns the code system of the member code of the value
// set vs, "" when it has none (or when the code is ambiguous, its system
// cannot be told).
func memberSystem(m *mappings.Set, vs, code string) string {
	found := ""
	for _, c := range m.Members(vs) {
		if c.Code != code {
			continue
		}
		if found != "" && found != c.System {
			return ""
		}
		found = c.System
	}
	return found
}
