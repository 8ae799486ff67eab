package mappings

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/docbridge/docbridge"
	"go.yaml.in/yaml/v3"
)

// LocalCode is one entry of the operator's local-codes.yaml: a code of a
// local system (a lab's or a clinic's own codes) and the national coding of
// value set ValueSet it stands for. The file is a YAML list of entries:
//
//	# local system (OID or URI) and code → national coding in a value set
//	- valueSet: JDV_J07
//	  from: {system: "1.2.250.1.999.1", code: "CRBIO"}
//	  to:   {system: "2.16.840.1.113883.6.1", code: "11502-2"}
//
// Every field is required and unknown fields are errors. ValueSet is any
// name Lookup accepts; systems are in any spelling SystemURI accepts. Load
// refuses an entry whose To is not in the value set, whose From already is a
// national code of it, or whose From is mapped twice for the same value set;
// the error names the file, the line and the entry.
type LocalCode struct {
	ValueSet string  `yaml:"valueSet"`
	From     CodeRef `yaml:"from"`
	To       CodeRef `yaml:"to"`
}

// CodeRef is a code in a code system, as written in local-codes.yaml.
type CodeRef struct {
	System string `yaml:"system"`
	Code   string `yaml:"code"`
}

// parseLocalCodes reads local-codes.yaml against the loaded value sets and
// returns, per value set, the national coding of each local code.
func (s *Set) parseLocalCodes(name string, data []byte) (map[string]map[conceptKey]docbridge.Coding, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var entries []LocalCode
	if err := dec.Decode(&entries); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) { // one line per problem: "line 3: field x not found in type …"
			return nil, fmt.Errorf("parse %s: %s", name, strings.Join(te.Errors, "; "))
		}
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parse %s: line %d: one YAML document expected", name, more.Line)
	}
	lines := entryLines(data)

	out := map[string]map[conceptKey]docbridge.Coding{}
	seen := map[string]map[conceptKey]int{} // value set → local code → line
	for i, e := range entries {
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("parse %s: line %d: entry %d: %s", name, line, i+1, fmt.Sprintf(format, args...))
		}
		for _, f := range [...]struct{ field, v string }{
			{"valueSet", e.ValueSet}, {"from.system", e.From.System}, {"from.code", e.From.Code},
			{"to.system", e.To.System}, {"to.code", e.To.Code},
		} {
			if strings.TrimSpace(f.v) == "" {
				return nil, bad("%s: missing", f.field)
			}
		}
		vs := s.set(e.ValueSet)
		if vs == nil {
			return nil, bad("valueSet: %q is not a loaded value set", e.ValueSet)
		}
		from, to := keyOf(e.From.System, e.From.Code), keyOf(e.To.System, e.To.Code)
		if _, ok := vs.display[from]; ok {
			return nil, bad("from: %s is already a national code of %s", from, vs.name)
		}
		display, ok := vs.display[to]
		if !ok {
			return nil, bad("to: %s is not in %s", to, vs.name)
		}
		if prev, ok := seen[vs.name][from]; ok {
			return nil, bad("from: %s is already mapped for %s at line %d", from, vs.name, prev)
		}
		if out[vs.name] == nil {
			out[vs.name] = map[conceptKey]docbridge.Coding{}
			seen[vs.name] = map[conceptKey]int{}
		}
		out[vs.name][from] = docbridge.Coding{System: to.system, Code: to.code, Display: display}
		seen[vs.name][from] = line
	}
	return out, nil
}

// entryLines returns the line of each item of the file's top-level list.
func entryLines(data []byte) []int {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil || len(root.Content) == 0 {
		return nil
	}
	seq := root.Content[0]
	lines := make([]int, len(seq.Content))
	for i, n := range seq.Content {
		lines[i] = n.Line
	}
	return lines
}
