package main

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// yamlError turns the decoder's error on the YAML b, decoded into a value
// of type t, into problems in the user's terms: each names its line and
// the key path as written in the file ("folders[0].settle"), never a Go
// type. It walks the document against t to find them; what the walk does
// not explain keeps the decoder's message, its Go type names removed.
func yamlError(b []byte, t reflect.Type, decodeErr error) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if probs := explainYAML(&doc, t, ""); len(probs) > 0 {
		errs := make([]error, len(probs))
		for i, p := range probs {
			errs[i] = errors.New(p)
		}
		return errors.Join(errs...)
	}
	return errors.New(goTypes.ReplaceAllString(strings.TrimPrefix(decodeErr.Error(), "yaml: "), ""))
}

// goTypes matches the Go type names in yaml's messages.
var goTypes = regexp.MustCompile(` (in|into) (type )?[\[\]*A-Za-z0-9_.]+`)

var (
	durationType    = reflect.TypeOf(time.Duration(0))
	unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
)

// explainYAML returns the problems of node n as a value of type t at path.
// Types with their own UnmarshalYAML are left to it.
func explainYAML(n *yaml.Node, t reflect.Type, path string) []string {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		return explainYAML(n.Content[0], t, path)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Tag == "!!null" || t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	at := func(format string, args ...any) []string {
		where := ""
		if path != "" {
			where = path + ": "
		}
		return []string{fmt.Sprintf("line %d: %s%s", n.Line, where, fmt.Sprintf(format, args...))}
	}
	if t == durationType {
		if _, err := time.ParseDuration(n.Value); n.Kind != yaml.ScalarNode || n.Tag == "!!int" || err != nil {
			example := "2s"
			if _, err := strconv.ParseFloat(n.Value, 64); err == nil {
				example = n.Value + "s"
			}
			return at("%s is not a duration: write it with a unit, e.g. %s", describe(n), example)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return at("want keys and values (key: value), not %s", describe(n))
		}
		fields := yamlFields(t)
		var out []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				msg := fmt.Sprintf("line %d: %sunknown key %q", k.Line, prefix(path), k.Value)
				if s := closest(k.Value, fields); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				out = append(out, msg)
				continue
			}
			out = append(out, explainYAML(v, ft, join(path, k.Value))...)
		}
		return out
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return at("want a list (- item, or [a, b]), not %s", describe(n))
		}
		var out []string
		for i, c := range n.Content {
			out = append(out, explainYAML(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return at("want keys and values (key: value), not %s", describe(n))
		}
		var out []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			out = append(out, explainYAML(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value))...)
		}
		return out
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!bool" && !yaml11Bools[strings.ToLower(n.Value)]) {
			return at("%s is not true or false", describe(n))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			return at("%s is not a whole number", describe(n))
		}
	case reflect.Float32, reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
			return at("%s is not a number", describe(n))
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			return at("want a single value, not %s", describe(n))
		}
	}
	return nil
}

// yamlFields maps the YAML keys of struct type t (inline fields included)
// to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-" || (!f.IsExported() && !f.Anonymous):
		case strings.Contains(opts, "inline"):
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range yamlFields(ft) {
					out[k] = v
				}
			}
		case name == "":
			out[strings.ToLower(f.Name)] = f.Type
		default:
			out[name] = f.Type
		}
	}
	return out
}

// yaml11Bools are the YAML 1.1 booleans the decoder still takes into a
// bool.
var yaml11Bools = map[string]bool{"yes": true, "no": true, "on": true, "off": true, "y": true, "n": true}

// describe names a node's value for a message: the scalar as written, or
// its shape.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			return strconv.Quote(n.Value)
		}
		return n.Value
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "keys and values"
	}
	return "this value"
}

func prefix(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// closest is the known key nearest to k (at most two edits, or one
// containing the other), "" when none is.
func closest(k string, known map[string]reflect.Type) string {
	best, bestD := "", 3
	for c := range known {
		d := editDistance(k, c)
		if strings.Contains(c, k) || strings.Contains(k, c) {
			d = min(d, 2)
		}
		if d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
