package cda

import (
	"strings"

	"github.com/beevik/etree"
)

// The helpers below read HL7 v3 elements by local name and namespace URI, never
// by prefix (etree paths would match <sdtc:id> for "id"). All are nil-safe: a
// missing element reads as nil, an empty string or no elements.

// v3 reports whether e is in the CDA namespace.
func v3(e *etree.Element) bool {
	return e != nil && e.NamespaceURI() == nsV3
}

// child returns the first child of e named tag in the CDA namespace.
func child(e *etree.Element, tag string) *etree.Element {
	if e == nil {
		return nil
	}
	for _, t := range e.Child {
		if c, ok := t.(*etree.Element); ok && c.Tag == tag && v3(c) {
			return c
		}
	}
	return nil
}

// children returns the children of e named tag in the CDA namespace.
func children(e *etree.Element, tag string) []*etree.Element {
	if e == nil {
		return nil
	}
	var out []*etree.Element
	for _, t := range e.Child {
		if c, ok := t.(*etree.Element); ok && c.Tag == tag && v3(c) {
			out = append(out, c)
		}
	}
	return out
}

// find returns the first element reached from e through the tags, trying
// every matching child at each step (several documentationOf, several
// performers, …), in document order.
func find(e *etree.Element, tags ...string) *etree.Element {
	if e == nil {
		return nil
	}
	if len(tags) == 0 {
		return e
	}
	for _, c := range children(e, tags[0]) {
		if r := find(c, tags[1:]...); r != nil {
			return r
		}
	}
	return nil
}

// attr returns the trimmed value of e's attribute key in no namespace.
func attr(e *etree.Element, key string) string {
	if e == nil {
		return ""
	}
	for _, a := range e.Attr {
		if a.Space == "" && a.Key == key {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

// hasAttr reports whether e has the attribute key in no namespace.
func hasAttr(e *etree.Element, key string) bool {
	if e == nil {
		return false
	}
	for _, a := range e.Attr {
		if a.Space == "" && a.Key == key {
			return true
		}
	}
	return false
}

// text returns e's text content (its own character data, child elements
// left out) with runs of white space collapsed to one space.
func text(e *etree.Element) string {
	if e == nil {
		return ""
	}
	var b strings.Builder
	for _, t := range e.Child {
		if c, ok := t.(*etree.CharData); ok {
			b.WriteString(c.Data)
			b.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// hasText reports whether e has character data other than white space,
// without copying it (bodies can be megabytes of base64).
func hasText(e *etree.Element) bool {
	if e == nil {
		return false
	}
	for _, t := range e.Child {
		if c, ok := t.(*etree.CharData); ok && strings.TrimSpace(c.Data) != "" {
			return true
		}
	}
	return false
}

// hasQualifier reports whether e's qualifier attribute (a space-separated set
// of codes, EntityNamePartQualifier) contains q.
func hasQualifier(e *etree.Element, q string) bool {
	for _, f := range strings.Fields(attr(e, "qualifier")) {
		if f == q {
			return true
		}
	}
	return false
}
