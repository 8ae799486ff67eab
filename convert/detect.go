package convert

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"

	"github.com/docbridge/docbridge"
)

// sniffLimit bounds how much of an XML input Detect tokenises to find the
// root element (the prolog of ANS examples is a few KB of comments).
const sniffLimit = 1 << 20

// Detect names the format of raw from its first bytes, or returns an
// *docbridge.Error with UnsupportedFormat saying what the input looks like.
// It skips a UTF-8 byte order mark and leading white space, then:
//   - "<" and an XML root element whose local name is ClinicalDocument:
//     FormatCDA (found by a token scan of the prolog, not a full parse; a
//     DOCTYPE before the root does not change the answer: the CDA converter
//     refuses it with ForbiddenConstruct, which is the reason to report);
//   - "{": FormatFHIR;
//   - "MSH|", "FHS|" or "BHS|", or an MLLP start block (0x0B) then "MSH|":
//     FormatHL7v2;
//   - "%PDF-": FormatPDF.
//
// Detect does not check the size limit; Convert does.
func Detect(raw []byte) (docbridge.Format, error) {
	b := bytes.TrimPrefix(raw, []byte("\xEF\xBB\xBF"))
	b = bytes.TrimLeft(b, " \t\r\n")
	switch {
	case len(b) == 0:
		return "", unsupported("the input is empty")
	case b[0] == 0x0B:
		if bytes.HasPrefix(bytes.TrimLeft(b[1:], "\r\n"), []byte("MSH|")) {
			return docbridge.FormatHL7v2, nil
		}
		return "", unsupported("the input starts with an MLLP start block but no MSH segment follows")
	case hasAnyPrefix(b, "MSH|", "FHS|", "BHS|"):
		return docbridge.FormatHL7v2, nil
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return docbridge.FormatPDF, nil
	case b[0] == '{':
		return docbridge.FormatFHIR, nil
	case b[0] == '<':
		return sniffXML(b)
	}
	return "", unsupported(describe(b))
}

// sniffXML finds the root element's name with a raw token scan.
func sniffXML(b []byte) (docbridge.Format, error) {
	head := b
	if len(head) > sniffLimit {
		head = head[:sniffLimit]
	}
	dec := xml.NewDecoder(bytes.NewReader(head))
	dec.Strict = true
	// Only names are read here: any declared charset is passed through.
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	doctypeCDA := false
	for {
		tok, err := dec.RawToken()
		if err != nil {
			// Not readable far enough to see the root: if it names a
			// ClinicalDocument early on, the CDA converter reports what is
			// wrong with it precisely (malformed, forbidden construct).
			if doctypeCDA || bytes.Contains(head[:min(len(head), 64<<10)], []byte("ClinicalDocument")) {
				return docbridge.FormatCDA, nil
			}
			if err == io.EOF {
				return "", unsupported("the input is XML without a root element")
			}
			return "", unsupported("the input starts like XML but is not readable as XML, and it is not a CDA ClinicalDocument")
		}
		switch t := tok.(type) {
		case xml.Directive:
			if strings.Contains(string(t), "ClinicalDocument") {
				doctypeCDA = true
			}
		case xml.StartElement:
			if t.Name.Local == "ClinicalDocument" {
				return docbridge.FormatCDA, nil
			}
			return "", unsupported(describeRoot(t))
		}
	}
}

// describeRoot says what an XML input whose root is not ClinicalDocument is.
func describeRoot(t xml.StartElement) string {
	name := t.Name.Local
	if len(name) > 64 {
		name = name[:64] + "…"
	}
	for _, a := range t.Attr {
		if (a.Name.Space == "" && a.Name.Local == "xmlns" || a.Name.Space == "xmlns") && a.Value == "http://hl7.org/fhir" {
			return "the input is a FHIR resource in XML (<" + name + ">); docbridge reads FHIR as JSON only"
		}
	}
	switch name {
	case "section", "component", "structuredBody", "entry":
		return "the input is XML whose root element is <" + name + ">: a CDA fragment, not a whole ClinicalDocument"
	}
	return "the input is XML whose root element is <" + name + ">, not a CDA R2 ClinicalDocument"
}

// describe says what a non-XML input looks like, for the operator.
func describe(b []byte) string {
	switch {
	case hasAnyPrefix(b, "\xFF\xFE", "\xFE\xFF"):
		return "the input is UTF-16 text; docbridge reads UTF-8 (convert the file)"
	case hasAnyPrefix(b, "PK\x03\x04"):
		return "the input is a ZIP archive (an office document or a compressed folder?); docbridge reads CDA XML, FHIR JSON, HL7 v2 and PDF"
	case hasAnyPrefix(b, "\x89PNG", "\xFF\xD8\xFF", "II*\x00", "MM\x00*", "GIF8"):
		return "the input is an image; docbridge sends images only inside a CDA document"
	case hasAnyPrefix(b, "H|"):
		return "the input looks like an HPRIM Santé or ASTM record, which docbridge does not read"
	case hasAnyPrefix(b, "["):
		return "the input is a JSON array; docbridge reads one FHIR resource (a Bundle or a DocumentReference) per input"
	}
	return "the input is not a CDA XML document, FHIR JSON, an HL7 v2 message (MSH|…) or a PDF"
}

func hasAnyPrefix(b []byte, prefixes ...string) bool {
	for _, p := range prefixes {
		if bytes.HasPrefix(b, []byte(p)) {
			return true
		}
	}
	return false
}

func unsupported(msg string) error {
	return docbridge.Errorf(docbridge.UnsupportedFormat, "%s", msg)
}
