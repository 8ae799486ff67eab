package mappings

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/docbridge/docbridge"
)

// FilenamePatternsFile is the name of the filename-pattern list, embedded
// from data/ and replaced as a whole by a file of the same name in the
// override directory.
const FilenamePatternsFile = "filename-patterns.yaml"

//go:embed data/filename-patterns.yaml
var embeddedPatterns []byte

// The fields a filename pattern may hold, as {name}. FieldAny matches
// anything and is not returned.
const (
	FieldINS        = "ins"
	FieldType       = "type"
	FieldDate       = "date"
	FieldID         = "id"
	FieldBirthName  = "birthName"
	FieldFirstNames = "firstNames"
	FieldBirthDate  = "birthDate"
	FieldSex        = "sex"
	FieldBirthPlace = "birthPlace"
	FieldAny        = "*"
)

// fieldSyntax is the regular expression each field matches. Free-text
// fields match as little as they can, never a path separator.
var fieldSyntax = map[string]string{
	FieldINS:        `[0-9]{6}[0-9AB][0-9]{8}`,
	FieldType:       `[^/\\]+?`,
	FieldDate:       `[0-9]{8}(?:[0-9]{4}(?:[0-9]{2})?)?|[0-9]{4}-[0-9]{2}-[0-9]{2}`,
	FieldID:         `[^/\\]+?`,
	FieldBirthName:  `[^/\\]+?`,
	FieldFirstNames: `[^/\\]+?`,
	FieldBirthDate:  `[0-9]{8}|[0-9]{4}-[0-9]{2}-[0-9]{2}`,
	FieldSex:        `[MFU]`,
	FieldBirthPlace: `[0-9][0-9AB][0-9]{3}`,
	FieldAny:        `[^/\\]*?`,
}

// insOIDs are the INS systems a pattern's insSystem may name
// (docs/sources.md §3).
var insOIDs = []string{
	"urn:oid:1.2.250.1.213.1.4.8", "urn:oid:1.2.250.1.213.1.4.9",
	"urn:oid:1.2.250.1.213.1.4.10", "urn:oid:1.2.250.1.213.1.4.11",
}

// languageTag is the BCP-47 shape a pattern's language must have.
var languageTag = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// FilenamePattern is one entry of filename-patterns.yaml: the shape of a
// PDF's file name, and metadata every PDF so named shares. The list is an
// ordered YAML sequence; each entry is
//
//	# one entry of filename-patterns.yaml
//	- name: lab-reports                   # required, unique
//	  pattern: "{ins}_{type}_{date}.pdf"  # required: fields in braces, literal text between them
//	  typeSystem: "http://loinc.org"      # the system of {type}; default LOINC
//	  insSystem: "1.2.250.1.213.1.4.8"    # the system of {ins}; default INS-NIR
//	  facilityType: {system: "1.2.250.1.71.4.2.4", code: SA25}             # in JDV_J02
//	  practiceSetting: {system: "1.2.250.1.213.1.1.4.9", code: AMBULATOIRE} # in JDV_J04
//	  language: fr-FR
//	  confidentiality: N                  # an HL7 v3 code of JDV_J08
//	  author: {id: "…", system: "urn:oid:1.2.250.1.71.4.2.1", name: "…"}
//	  custodian: {id: "…", system: "urn:oid:1.2.250.1.71.4.2.2", name: "…"}
//
// Load refuses unknown keys, unknown or repeated fields, two fields with no
// literal text between them (the split would be a guess), an insSystem that
// is not an INS OID, and codes that are not in their value set (local codes
// of local-codes.yaml are translated); the error names the file, the line
// and the entry.
type FilenamePattern struct {
	Name    string
	Pattern string
	// Fields are the fields of Pattern, in order, FieldAny left out.
	Fields []string
	// TypeSystem is the canonical system (SystemURI) of the {type} codes.
	TypeSystem string
	// INSSystem is the INS system of {ins}, as "urn:oid:…".
	INSSystem string
	// FacilityType and PracticeSetting are national codings, or zero.
	FacilityType, PracticeSetting docbridge.Coding
	// Language and Confidentiality are "" when the entry gives none.
	Language, Confidentiality string
	// Author and Custodian are nil when the entry gives none.
	Author    *docbridge.Author
	Custodian *docbridge.Organization

	re *regexp.Regexp
}

// FilenameMatch is what a file name says through the pattern it matched.
type FilenameMatch struct {
	Pattern *FilenamePattern
	// Values holds the text of each field of Pattern.Fields, as written in
	// the name. It is patient data (an INS, names): never log it.
	Values map[string]string
}

// MatchFilename returns the first pattern of the list that matches the
// whole of name (a base name, without directory) and the text of its
// fields. It returns false when none matches. The result shares the
// immutable pattern with the Set.
func (s *Set) MatchFilename(name string) (FilenameMatch, bool) {
	for _, p := range s.patterns {
		m := p.re.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		values := make(map[string]string, len(p.Fields))
		for i, f := range p.Fields {
			values[f] = m[i+1]
		}
		return FilenameMatch{Pattern: p, Values: values}, true
	}
	return FilenameMatch{}, false
}

// patternEntry is one entry as written in the file.
type patternEntry struct {
	Name            string   `yaml:"name"`
	Pattern         string   `yaml:"pattern"`
	TypeSystem      string   `yaml:"typeSystem"`
	INSSystem       string   `yaml:"insSystem"`
	FacilityType    *CodeRef `yaml:"facilityType"`
	PracticeSetting *CodeRef `yaml:"practiceSetting"`
	Language        string   `yaml:"language"`
	Confidentiality string   `yaml:"confidentiality"`
	Author          *party   `yaml:"author"`
	Custodian       *party   `yaml:"custodian"`
}

// party is an author or custodian as written in the file.
type party struct {
	ID     string `yaml:"id"`
	System string `yaml:"system"`
	Name   string `yaml:"name"`
}

// parsePatterns reads a filename-pattern list against the loaded value
// sets.
func (s *Set) parsePatterns(name string, data []byte) ([]*FilenamePattern, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var entries []patternEntry
	if err := dec.Decode(&entries); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("parse %s: %s", name, strings.Join(te.Errors, "; "))
		}
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parse %s: line %d: one YAML document expected", name, more.Line)
	}
	lines := entryLines(data)
	out := make([]*FilenamePattern, 0, len(entries))
	seen := map[string]int{}
	for i, e := range entries {
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		p, err := s.pattern(e)
		if err == nil && seen[e.Name] != 0 {
			err = fmt.Errorf("name: %q is already used at line %d", e.Name, seen[e.Name])
		}
		if err != nil {
			return nil, fmt.Errorf("parse %s: line %d: entry %d: %w", name, line, i+1, err)
		}
		seen[e.Name] = max(line, 1)
		out = append(out, p)
	}
	return out, nil
}

// pattern checks one entry and compiles it.
func (s *Set) pattern(e patternEntry) (*FilenamePattern, error) {
	if strings.TrimSpace(e.Name) == "" {
		return nil, errors.New("name: missing")
	}
	re, fields, err := compilePattern(e.Pattern)
	if err != nil {
		return nil, fmt.Errorf("pattern: %w", err)
	}
	p := &FilenamePattern{
		Name: e.Name, Pattern: e.Pattern, Fields: fields, re: re,
		TypeSystem: LOINC, INSSystem: insOIDs[0],
		Language: e.Language, Confidentiality: e.Confidentiality,
	}
	if e.TypeSystem != "" {
		p.TypeSystem = SystemURI(e.TypeSystem)
	}
	if e.INSSystem != "" {
		p.INSSystem = SystemURI(e.INSSystem)
		if !slices.Contains(insOIDs, p.INSSystem) {
			return nil, fmt.Errorf("insSystem: %q is not an INS OID (1.2.250.1.213.1.4.8, .9, .10 or .11)", e.INSSystem)
		}
	}
	for _, c := range []struct {
		field, vs string
		ref       *CodeRef
		dst       *docbridge.Coding
	}{
		{"facilityType", FacilityTypes, e.FacilityType, &p.FacilityType},
		{"practiceSetting", PracticeSettings, e.PracticeSetting, &p.PracticeSetting},
	} {
		if c.ref == nil {
			continue
		}
		coding, ok := s.Lookup(c.vs, c.ref.System, c.ref.Code)
		if !ok {
			return nil, fmt.Errorf("%s: %s is not in %s", c.field, keyOf(c.ref.System, c.ref.Code), c.vs)
		}
		*c.dst = coding
	}
	if e.Language != "" && !languageTag.MatchString(e.Language) {
		return nil, fmt.Errorf("language: %q is not a language tag such as fr-FR", e.Language)
	}
	if e.Confidentiality != "" && !s.Contains(Confidentiality, HL7Confidentiality, e.Confidentiality) {
		return nil, fmt.Errorf("confidentiality: %q is not an HL7 v3 confidentiality code of %s (N, R, V)", e.Confidentiality, Confidentiality)
	}
	if a := e.Author; a != nil {
		p.Author = &docbridge.Author{ID: a.ID, System: SystemURI(a.System), Name: a.Name}
	}
	if c := e.Custodian; c != nil {
		p.Custodian = &docbridge.Organization{ID: c.ID, System: SystemURI(c.System), Name: c.Name}
	}
	return p, nil
}

// compilePattern turns "{ins}_{type}_{date}.pdf" into an anchored,
// case-insensitive regular expression with one group per field.
func compilePattern(pattern string) (*regexp.Regexp, []string, error) {
	if pattern == "" {
		return nil, nil, errors.New("missing")
	}
	var re strings.Builder
	re.WriteString(`(?i)^`)
	var fields []string
	seen := map[string]bool{}
	lastWasField := false
	rest := pattern
	for rest != "" {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			re.WriteString(regexp.QuoteMeta(rest))
			lastWasField = false
			break
		}
		if rest[open] == '}' {
			return nil, nil, fmt.Errorf("%q has a } without {", pattern)
		}
		if open > 0 {
			re.WriteString(regexp.QuoteMeta(rest[:open]))
			lastWasField = false
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return nil, nil, fmt.Errorf("%q has a { without }", pattern)
		}
		field := rest[open+1 : open+end]
		syntax, ok := fieldSyntax[field]
		switch {
		case !ok:
			return nil, nil, fmt.Errorf("{%s} is not a field (ins, type, date, id, birthName, firstNames, birthDate, sex, birthPlace, *)", field)
		case seen[field] && field != FieldAny:
			return nil, nil, fmt.Errorf("{%s} appears twice", field)
		case lastWasField:
			return nil, nil, fmt.Errorf("{%s} follows another field with no text between them", field)
		}
		seen[field], lastWasField = true, true
		if field == FieldAny {
			re.WriteString(`(?:` + syntax + `)`)
		} else {
			re.WriteString(`(` + syntax + `)`)
			fields = append(fields, field)
		}
		rest = rest[open+end+1:]
	}
	if len(fields) == 0 {
		return nil, nil, fmt.Errorf("%q has no field", pattern)
	}
	re.WriteString(`$`)
	compiled, err := regexp.Compile(re.String())
	if err != nil {
		return nil, nil, fmt.Errorf("%q: %w", pattern, err)
	}
	return compiled, fields, nil
}
