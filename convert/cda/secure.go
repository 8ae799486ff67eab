package cda

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/docbridge/docbridge"
)

// MaxSize is the largest document Convert parses, in bytes (256 MiB). Larger
// input is refused with docbridge.TooLarge before any parsing: the parsed tree,
// base64 body included, stays in memory while the header is read. Callers may
// set a lower limit of their own (convert.Options.MaxSize).
const MaxSize = 256 << 20

// MaxDepth is the deepest element nesting Convert accepts. Real CDA documents
// stay under about 40 levels; deeper input is refused with
// docbridge.ForbiddenConstruct.
const MaxDepth = 256

// nsV3 is the namespace of CDA R2 (and of every HL7 v3 element).
const nsV3 = "urn:hl7-org:v3"

// parse applies the XML policy of docs/architecture.md §9 and returns the parsed
// document, whose root is a ClinicalDocument in the urn:hl7-org:v3 namespace.
// Every refusal is an *docbridge.Error:
//   - TooLarge over MaxSize;
//   - ForbiddenConstruct for a DOCTYPE or any other DTD declaration (checked
//     on the tokens of the prolog before the tree is built, and on the whole
//     tree after) and for nesting deeper than MaxDepth;
//   - Malformed for empty input and anything that is not well-formed XML
//     (strict mode, undeclared namespace prefixes included);
//   - UnsupportedFormat for an unsupported character encoding and for XML
//     that is not a CDA ClinicalDocument.
//
// No entity is ever defined (ReadSettings.Entity stays nil), so no entity
// other than the five predefined ones and character references can be
// expanded: strict mode refuses the rest. The XML most senders write is
// read by fastTree, which builds the same tree at a fraction of the cost;
// the rest, refusals included, by encoding/xml and etree.
func parse(raw []byte) (*etree.Document, error) {
	if len(raw) > MaxSize {
		return nil, docbridge.Errorf(docbridge.TooLarge,
			"the document is %d bytes; docbridge parses CDA documents of at most %d MiB", len(raw), MaxSize>>20)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, docbridge.Errorf(docbridge.Malformed, "the input is empty")
	}
	// encoding/xml does not skip a UTF-8 byte order mark; the content sent
	// stays raw, BOM included.
	raw = bytes.TrimPrefix(raw, []byte("\xEF\xBB\xBF"))
	var charset charsetPolicy
	settings := etree.ReadSettings{
		CharsetReader: charset.reader,
		MaxDepth:      MaxDepth,
		// Permissive stays false (strict), Entity stays nil.
	}
	// Most documents are read by fastTree, into the tree etree builds.
	doc, fast := fastTree(raw)
	if !fast {
		if err := checkProlog(raw); err != nil {
			return nil, err
		}
		doc = etree.NewDocument()
		doc.ReadSettings = settings
		if err := doc.ReadFromBytes(raw); err != nil {
			return nil, classifyParseError(raw, err, &charset)
		}
	}
	doc.ReadSettings = settings
	// encoding/xml does not check the bytes of comments and processing
	// instructions: a UTF-8 document must be UTF-8 throughout.
	if !charset.singleByte && !utf8.Valid(raw) {
		return nil, docbridge.Errorf(docbridge.Malformed,
			"the document is UTF-8 (declared or by default) but holds bytes that are not UTF-8: check the sender's character set")
	}

	root, err := singleRoot(doc)
	if err != nil {
		return nil, err
	}
	if err := checkRoot(root); err != nil {
		return nil, err
	}
	if err := checkTree(root); err != nil {
		return nil, err
	}
	return doc, nil
}

// forbiddenDTD is the refusal for any DTD construct.
func forbiddenDTD(directive string) error {
	d := strings.ToUpper(strings.TrimSpace(directive))
	switch {
	case strings.HasPrefix(d, "DOCTYPE"):
		return docbridge.Errorf(docbridge.ForbiddenConstruct,
			"the document declares a DOCTYPE; docbridge refuses DTDs and entities")
	case strings.HasPrefix(d, "ENTITY"):
		return docbridge.Errorf(docbridge.ForbiddenConstruct,
			"the document declares an entity; docbridge refuses DTDs and entities")
	default:
		return docbridge.Errorf(docbridge.ForbiddenConstruct,
			"the document contains a DTD declaration (<!…>); docbridge refuses DTDs and entities")
	}
}

// checkProlog reads the tokens before the root element and refuses any
// directive (DOCTYPE, ENTITY, …) before a tree is built. The internal subset
// of a DOCTYPE, entity declarations included, is one directive token, so a
// billion-laughs payload is refused here without being expanded.
func checkProlog(raw []byte) error {
	var charset charsetPolicy
	dec := xml.NewDecoder(bytes.NewReader(raw))
	dec.Strict = true
	dec.CharsetReader = charset.reader
	for {
		tok, err := dec.RawToken()
		if err != nil {
			if err == io.EOF {
				return docbridge.Errorf(docbridge.Malformed, "the input has no root element: it is not an XML document")
			}
			return classifyParseError(raw, err, &charset)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return forbiddenDTD(string(t))
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return docbridge.Errorf(docbridge.Malformed, "the input has text before its root element: it is not an XML document")
			}
		case xml.StartElement:
			return nil
		}
	}
}

// classifyParseError turns a parser error into the refusal of parse.
func classifyParseError(raw []byte, err error, charset *charsetPolicy) error {
	if charset.unsupported != "" {
		return docbridge.Errorf(docbridge.UnsupportedFormat,
			"the document declares the character encoding %q; docbridge reads UTF-8, US-ASCII, ISO-8859-1 and windows-1252",
			clip(charset.unsupported))
	}
	if errors.Is(err, etree.ErrMaxDepth) {
		return docbridge.Errorf(docbridge.ForbiddenConstruct,
			"elements are nested deeper than %d levels; docbridge refuses such nesting", MaxDepth)
	}
	// A DTD declared somewhere the prolog scan did not reach (after the root
	// started) makes the parse fail on its entity references: report the
	// declaration, which is what must be fixed.
	if bytes.Contains(raw, []byte("<!DOCTYPE")) || bytes.Contains(raw, []byte("<!ENTITY")) {
		return docbridge.Errorf(docbridge.ForbiddenConstruct,
			"the document declares a DOCTYPE; docbridge refuses DTDs and entities")
	}
	if errors.Is(err, etree.ErrXML) {
		// etree reads raw tokens and only knows the tree is unbalanced: a
		// checking decoder finds where (this runs on the error path only).
		err = locateSyntaxError(raw)
	}
	var syn *xml.SyntaxError
	switch {
	case errors.As(err, &syn):
		if strings.Contains(syn.Msg, "unexpected EOF") {
			return docbridge.Errorf(docbridge.Malformed,
				"the XML ends before its elements are closed (line %d); the file looks truncated", syn.Line)
		}
		return docbridge.Errorf(docbridge.Malformed, "the input is not well-formed XML: line %d: %s", syn.Line, syntaxKind(syn.Msg))
	case err == nil || errors.Is(err, etree.ErrXML):
		return docbridge.Errorf(docbridge.Malformed,
			"the XML ends before its elements are closed, or closes elements it never opened")
	default:
		return docbridge.Errorf(docbridge.Malformed, "the input is not well-formed XML: %s", syntaxKind(err.Error()))
	}
}

// syntaxKind names the kind of an encoding/xml syntax error without quoting
// it: its messages can echo input text (an entity name read from "&…", an
// element name), which may be patient data.
func syntaxKind(msg string) string {
	switch {
	case strings.Contains(msg, "entity"):
		return "an undefined or invalid entity reference (&…;); a literal & must be written &amp;"
	case strings.Contains(msg, "closed by"), strings.Contains(msg, "unexpected end element"):
		return "an element is closed by an end tag that does not match it"
	case strings.Contains(msg, "invalid UTF-8"):
		return "bytes that are not valid UTF-8 (declare the file's encoding in its XML declaration)"
	case strings.Contains(msg, "illegal character"):
		return "a character that XML does not allow"
	case strings.Contains(msg, "attribute"):
		return "a malformed attribute"
	case strings.Contains(msg, "element name"), strings.Contains(msg, "invalid XML name"), strings.Contains(msg, "expected"):
		return "a malformed tag (a literal < must be written &lt;)"
	case strings.Contains(msg, "version"):
		return "an unsupported XML version (only 1.0 is supported)"
	}
	return "a syntax error"
}

// locateSyntaxError reads raw with encoding/xml's checking Token and returns
// its first error, or nil when it finds none.
func locateSyntaxError(raw []byte) error {
	var charset charsetPolicy
	dec := xml.NewDecoder(bytes.NewReader(raw))
	dec.Strict = true
	dec.CharsetReader = charset.reader
	for {
		if _, err := dec.Token(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

// singleRoot returns the only root element of doc, refusing text or a second
// element at the top level.
func singleRoot(doc *etree.Document) (*etree.Element, error) {
	var root *etree.Element
	for _, t := range doc.Child {
		switch t := t.(type) {
		case *etree.Element:
			if root != nil {
				return nil, docbridge.Errorf(docbridge.Malformed,
					"the input has more than one root element: it is not an XML document")
			}
			root = t
		case *etree.CharData:
			if !t.IsWhitespace() {
				return nil, docbridge.Errorf(docbridge.Malformed,
					"the input has text outside its root element: it is not an XML document")
			}
		case *etree.Directive:
			return nil, forbiddenDTD(t.Data)
		}
	}
	if root == nil {
		return nil, docbridge.Errorf(docbridge.Malformed, "the input has no root element: it is not an XML document")
	}
	return root, nil
}

// checkRoot refuses XML that is not a CDA R2 ClinicalDocument, saying what it
// looks like. The namespace is checked by URI: etree matches prefixes only.
func checkRoot(root *etree.Element) error {
	ns := root.NamespaceURI()
	if root.Tag == "ClinicalDocument" {
		if ns == nsV3 {
			return nil
		}
		return docbridge.Errorf(docbridge.UnsupportedFormat,
			"the root element is ClinicalDocument but in the namespace %q, not urn:hl7-org:v3: it is not a CDA R2 document",
			clip(ns))
	}
	tag := clip(root.Tag)
	switch {
	case ns == "http://hl7.org/fhir":
		return docbridge.Errorf(docbridge.UnsupportedFormat,
			"the input is a FHIR resource in XML (<%s>); docbridge reads CDA XML and FHIR JSON only", tag)
	case root.Tag == "section" || root.Tag == "component" || root.Tag == "structuredBody" || root.Tag == "entry":
		return docbridge.Errorf(docbridge.UnsupportedFormat,
			"the root element is <%s>: this is a CDA fragment, not a whole ClinicalDocument", tag)
	default:
		return docbridge.Errorf(docbridge.UnsupportedFormat,
			"the root element is <%s>; docbridge expects a CDA R2 ClinicalDocument (urn:hl7-org:v3)", tag)
	}
}

// checkTree walks the whole tree once: it refuses directives anywhere and
// namespace prefixes that are used without being declared (XML namespaces
// well-formedness, which encoding/xml does not check).
func checkTree(root *etree.Element) error {
	// scopes holds the prefixes declared on the path from the root.
	declared := map[string]int{"xml": 1, "xmlns": 1}
	var walk func(e *etree.Element) error
	walk = func(e *etree.Element) error {
		var added []string
		for _, a := range e.Attr {
			if a.Space == "xmlns" {
				declared[a.Key]++
				added = append(added, a.Key)
			}
		}
		defer func() {
			for _, p := range added {
				declared[p]--
			}
		}()
		if e.Space != "" && declared[e.Space] == 0 {
			return undeclaredPrefix(e.Space)
		}
		for _, a := range e.Attr {
			if a.Space != "" && declared[a.Space] == 0 {
				return undeclaredPrefix(a.Space)
			}
		}
		for _, t := range e.Child {
			switch t := t.(type) {
			case *etree.Element:
				if err := walk(t); err != nil {
					return err
				}
			case *etree.Directive:
				return forbiddenDTD(t.Data)
			}
		}
		return nil
	}
	return walk(root)
}

func undeclaredPrefix(p string) error {
	return docbridge.Errorf(docbridge.Malformed,
		"the XML uses the namespace prefix %q without declaring it: it is not namespace-well-formed", clip(p))
}

// clip bounds a piece of markup (a tag, a prefix, an encoding name) quoted in
// a message, so hostile input cannot flood logs.
func clip(s string) string {
	const max = 64
	s = strings.ToValidUTF8(s, "?")
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
