package pdf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/docbridge/docbridge"
)

// Sidecar is the metadata file of a PDF, <name>.json or <name>.yaml beside
// <name>.pdf: the fields of docs/architecture.md §11, with the same names and shapes
// as `docbridge inspect --json` prints them. Every field is optional in
// the file; what the document needs and lacks becomes a problem on it. A
// coding may be written as an object ({system, code, display}) or as its
// bare code; first names as a list or as one string split on spaces.
//
//	{"type": {"system": "http://loinc.org", "code": "11502-2"},
//	 "title": "Compte rendu de biologie", "creation": "2025-03-01T10:30:00+01:00",
//	 "facilityType": {"system": "1.2.250.1.71.4.2.4", "code": "SA25"},
//	 "practiceSetting": {"system": "1.2.250.1.213.1.1.4.9", "code": "AMBULATOIRE"},
//	 "patient": {"ins": "279035121518989", "insSystem": "urn:oid:1.2.250.1.213.1.4.10",
//	             "birthName": "…", "firstNames": ["…"], "birthDate": "1979-03-28",
//	             "sex": "F", "birthPlace": "51215"},
//	 "authors": [{"id": "801234534765", "system": "urn:oid:1.2.250.1.71.4.2.1", "name": "…"}]}
//
// Size, SHA1 and SHA256, when given, must be those of the PDF: they tie
// the sidecar to its PDF. Unknown fields are errors. A Sidecar is patient
// data: never log it.
type Sidecar struct {
	UniqueID       string        `json:"uniqueId" yaml:"uniqueId"`
	Action         string        `json:"action" yaml:"action"`
	Replaces       string        `json:"replaces" yaml:"replaces"`
	SetID          string        `json:"setId" yaml:"setId"`
	Version        string        `json:"versionNumber" yaml:"versionNumber"`
	Type           *Coding       `json:"type" yaml:"type"`
	Class          *Coding       `json:"class" yaml:"class"`
	Title          string        `json:"title" yaml:"title"`
	Creation       string        `json:"creation" yaml:"creation"`
	Language       string        `json:"language" yaml:"language"`
	Confidential   string        `json:"confidentiality" yaml:"confidentiality"`
	SecurityLabels []Coding      `json:"securityLabels" yaml:"securityLabels"`
	ContentType    string        `json:"contentType" yaml:"contentType"`
	Format         string        `json:"format" yaml:"format"`
	Size           *int64        `json:"size" yaml:"size"`
	SHA1           string        `json:"sha1" yaml:"sha1"`
	SHA256         string        `json:"sha256" yaml:"sha256"`
	FacilityType   *Coding       `json:"facilityType" yaml:"facilityType"`
	Practice       *Coding       `json:"practiceSetting" yaml:"practiceSetting"`
	ServiceStart   string        `json:"serviceStart" yaml:"serviceStart"`
	ServiceStop    string        `json:"serviceStop" yaml:"serviceStop"`
	Patient        *Patient      `json:"patient" yaml:"patient"`
	Authors        []Author      `json:"authors" yaml:"authors"`
	LegalAuth      *Author       `json:"legalAuthenticator" yaml:"legalAuthenticator"`
	Custodian      *Organization `json:"custodian" yaml:"custodian"`
	// Provenance names the fields of this sidecar that a tool filled from
	// another source (a bulk run writes "index:<line>" and
	// "profile:<name>"); it is copied into Document.Provenance.
	Provenance map[string]string `json:"provenance" yaml:"provenance"`
}

// Coding is a coding of a sidecar: an object or a bare code.
type Coding struct {
	System  string `json:"system" yaml:"system"`
	Code    string `json:"code" yaml:"code"`
	Display string `json:"display" yaml:"display"`
}

// Patient is the patient of a sidecar: docbridge.Patient's fields.
type Patient struct {
	INS            string       `json:"ins" yaml:"ins"`
	INSSystem      string       `json:"insSystem" yaml:"insSystem"`
	BirthName      string       `json:"birthName" yaml:"birthName"`
	FirstNames     Names        `json:"firstNames" yaml:"firstNames"`
	BirthDate      string       `json:"birthDate" yaml:"birthDate"`
	Sex            string       `json:"sex" yaml:"sex"`
	BirthPlace     string       `json:"birthPlace" yaml:"birthPlace"`
	LocalIDs       []Identifier `json:"localIds" yaml:"localIds"`
	IdentityStatus string       `json:"identityStatus" yaml:"identityStatus"`
}

// Names is a list of first names, written as a list or as one string.
type Names []string

// Identifier is a local patient id.
type Identifier struct {
	System string `json:"system" yaml:"system"`
	Value  string `json:"value" yaml:"value"`
}

// Author is an author or the legal authenticator.
type Author struct {
	ID           string        `json:"id" yaml:"id"`
	System       string        `json:"system" yaml:"system"`
	Name         string        `json:"name" yaml:"name"`
	Specialty    *Coding       `json:"specialty" yaml:"specialty"`
	Organization *Organization `json:"organization" yaml:"organization"`
}

// Organization is an organisation by its national identifier.
type Organization struct {
	ID     string `json:"id" yaml:"id"`
	System string `json:"system" yaml:"system"`
	Name   string `json:"name" yaml:"name"`
}

// ParseSidecar reads a sidecar: JSON when its first non-blank byte is
// "{", YAML otherwise (a UTF-8 byte order mark is skipped). It refuses more
// than docbridge.MaxSidecar bytes, anything but one object, unknown fields
// and values of the wrong shape, with an *docbridge.Error of reason
// Malformed (TooLarge for the size) whose message names the field or the
// line and never quotes a value.
func ParseSidecar(b []byte) (*Sidecar, error) {
	if len(b) > docbridge.MaxSidecar {
		return nil, docbridge.Errorf(docbridge.TooLarge, "the sidecar is %d bytes, over the limit of %d bytes", len(b), docbridge.MaxSidecar)
	}
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	var s Sidecar
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return nil, malformed("JSON", jsonError(err))
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return nil, malformed("JSON", "more than one JSON value")
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		var root yaml.Node
		switch err := dec.Decode(&root); {
		case errors.Is(err, io.EOF):
			return nil, malformed("YAML", "the file is empty")
		case err != nil:
			return nil, malformed("YAML", yamlError(err))
		}
		if root.Kind != yaml.DocumentNode || len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
			return nil, malformed("YAML", "it must be one mapping of the metadata fields (uniqueId, type, patient, …)")
		}
		// Node.Decode would not refuse unknown fields: decode the bytes again.
		strict := yaml.NewDecoder(bytes.NewReader(b))
		strict.KnownFields(true)
		if err := strict.Decode(&s); err != nil {
			return nil, malformed("YAML", yamlError(err))
		}
		var more yaml.Node
		if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
			return nil, malformed("YAML", fmt.Sprintf("line %d: one YAML document expected", more.Line))
		}
	}
	return &s, nil
}

func malformed(kind, why string) error {
	return docbridge.Errorf(docbridge.Malformed, "the sidecar is not valid %s: %s", kind, why)
}

// jsonError describes a JSON decoding error without quoting values.
func jsonError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s must not be a JSON %s", fieldName(typ.Field), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends before the object is closed"
	}
	var fe *fieldError
	if errors.As(err, &fe) {
		return fe.Error()
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return "unknown field " + clip(rest, 64)
	}
	return clip(strings.TrimPrefix(msg, "json: "), 120)
}

// yamlError describes a YAML decoding error by its lines and types; the
// values yaml.v3 quotes in backticks are left out.
func yamlError(err error) string {
	var fe *fieldError
	if errors.As(err, &fe) {
		return fe.Error()
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msg = strings.Join(te.Errors, "; ")
	}
	msg = yamlUnknown.ReplaceAllString(msg, `unknown field "$1"`)
	return clip(yamlQuoted.ReplaceAllString(msg, "a value"), 300)
}

var (
	// yamlQuoted is a value yaml.v3 quotes in an error message.
	yamlQuoted = regexp.MustCompile("`[^`]*`")
	// yamlUnknown is yaml.v3's unknown-field message, which names a Go type.
	yamlUnknown = regexp.MustCompile(`field (\S+) not found in type \S+`)
	// yamlLine is the line prefix of a yaml.v3 message.
	yamlLine = regexp.MustCompile(`line [0-9]+: `)
)

func fieldName(f string) string {
	if f == "" {
		return "the sidecar"
	}
	return f
}

// fieldError is a value of the wrong shape, found by one of the custom
// decoders below.
type fieldError struct{ msg string }

func (e *fieldError) Error() string { return e.msg }

// UnmarshalJSON accepts a coding object or a bare code.
func (c *Coding) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '"' {
		return json.Unmarshal(t, &c.Code)
	}
	type plain Coding
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p plain
	if err := dec.Decode(&p); err != nil {
		return &fieldError{"a coding must be {system, code, display} or a code: " + jsonError(err)}
	}
	*c = Coding(p)
	return nil
}

// UnmarshalYAML accepts a coding mapping or a bare code.
func (c *Coding) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		c.Code = n.Value
		return nil
	}
	type plain Coding
	var p plain
	if err := decodeStrict(n, &p); err != nil {
		return err
	}
	*c = Coding(p)
	return nil
}

// UnmarshalJSON accepts a list of names or one string of names.
func (ns *Names) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '"' {
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return err
		}
		*ns = strings.Fields(s)
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return &fieldError{"patient.firstNames must be a list of names or one string"}
	}
	*ns = list
	return nil
}

// UnmarshalYAML accepts a sequence of names or one string of names.
func (ns *Names) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*ns = strings.Fields(n.Value)
		return nil
	case yaml.SequenceNode:
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		*ns = list
		return nil
	}
	return &fieldError{fmt.Sprintf("line %d: patient.firstNames must be a list of names or one string", n.Line)}
}

// decodeStrict decodes a YAML mapping, refusing unknown keys (a custom
// UnmarshalYAML does not inherit the decoder's KnownFields).
func decodeStrict(n *yaml.Node, v any) error {
	if n.Kind != yaml.MappingNode {
		return &fieldError{fmt.Sprintf("line %d: a mapping {system, code, display} or a code is expected", n.Line)}
	}
	var buf bytes.Buffer
	if err := yaml.NewEncoder(&buf).Encode(n); err != nil {
		return err
	}
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		// The lines of err are those of the re-encoded mapping: use n's.
		return &fieldError{fmt.Sprintf("line %d: %s", n.Line, yamlLine.ReplaceAllString(yamlError(err), ""))}
	}
	return nil
}

// clip shortens s for a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
