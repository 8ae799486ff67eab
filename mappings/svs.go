package mappings

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// maxXMLDepth bounds element nesting in SVS files; real ones nest 5 deep.
const maxXMLDepth = 32

// parseSVS reads an IHE SVS RetrieveValueSetResponse as the NOS exports it
// (namespace urn:ihe:iti:svs:2008, namespace not required):
//
//   - a value set: ValueSet/ConceptList/Concept with code, codeSystem and
//     displayName attributes. A Concept with a non-empty dateFin is retired
//     and left out (TRE_A04 keeps retired LOINC terms).
//   - a concept map (the NOS "ASS" tables): ValueSet/MappedConceptList/
//     MappedConcept holding exactly two Concepts, source then target.
//
// Elements it does not know (such as the stray <script> a browser left in
// two of the copies) are skipped. DOCTYPE and other directives are refused.
// The file is read as a token stream so errors can give a line.
func parseSVS(data []byte) (*table, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var (
		t        = &table{}
		depth    int
		sawRoot  bool
		sawVS    bool
		inList   bool // inside ConceptList
		inMapped bool // inside MappedConcept
		mapped   []member
		mapAt    string
		start    int // line where the current token starts
	)
	line := func() string { return fmt.Sprintf("line %d", start) }
	for {
		start, _ = d.InputPos()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err // *xml.SyntaxError carries the line
		}
		switch tok := tok.(type) {
		case xml.Directive:
			return nil, fmt.Errorf("%s: DOCTYPE or other <!…> declaration refused", line())
		case xml.StartElement:
			depth++
			if depth > maxXMLDepth {
				return nil, fmt.Errorf("%s: elements nested deeper than %d", line(), maxXMLDepth)
			}
			if depth == 1 {
				if tok.Name.Local != "RetrieveValueSetResponse" {
					return nil, fmt.Errorf("%s: root element is <%s>, want <RetrieveValueSetResponse> (IHE SVS)", line(), tok.Name.Local)
				}
				sawRoot = true
				continue
			}
			switch tok.Name.Local {
			case "ValueSet":
				if depth != 2 {
					continue
				}
				if sawVS {
					return nil, fmt.Errorf("%s: more than one ValueSet in the file", line())
				}
				sawVS = true
				t.name = shortName(attr(tok, "displayName"))
				t.addAliases(attr(tok, "displayName"), attr(tok, "id"), attr(tok, "urlFichier"))
			case "ConceptList":
				inList = depth == 3
			case "MappedConceptList":
				t.isMap = depth == 3
			case "MappedConcept":
				inMapped, mapped, mapAt = t.isMap && depth == 4, mapped[:0], line()
			case "Concept":
				c, err := svsConcept(tok, line())
				if err != nil {
					return nil, err
				}
				switch {
				case inMapped && depth == 5:
					mapped = append(mapped, c)
				case inList && depth == 4 && attr(tok, "dateFin") == "":
					t.concepts = append(t.concepts, c)
				}
			}
		case xml.EndElement:
			depth--
			switch tok.Name.Local {
			case "ConceptList":
				inList = false
			case "MappedConcept":
				if !inMapped {
					continue
				}
				inMapped = false
				if len(mapped) != 2 {
					return nil, fmt.Errorf("%s: MappedConcept has %d Concepts, want 2 (source, target)", mapAt, len(mapped))
				}
				t.pairs = append(t.pairs, pair{src: mapped[0].key, dst: mapped[1].key, at: mapAt})
			}
		}
	}
	if !sawRoot || !sawVS {
		return nil, errors.New("no RetrieveValueSetResponse/ValueSet element")
	}
	if t.isMap && len(t.concepts) > 0 {
		return nil, errors.New("both a ConceptList and a MappedConceptList")
	}
	return t, nil
}

// svsConcept reads a Concept element's attributes.
func svsConcept(el xml.StartElement, at string) (member, error) {
	code, system := attr(el, "code"), attr(el, "codeSystem")
	if code == "" || system == "" {
		return member{}, fmt.Errorf("%s: Concept without code or codeSystem", at)
	}
	return member{key: keyOf(system, code), display: attr(el, "displayName"), at: at}, nil
}

// attr returns the value of el's attribute with local name name, or "".
func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
