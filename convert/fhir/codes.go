package fhir

import (
	"strings"

	fm "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
)

// codings returns the codings of a CodeableConcept that have a code.
func codings(cc *fm.CodeableConcept) []docbridge.Coding {
	if cc == nil {
		return nil
	}
	var out []docbridge.Coding
	for _, c := range cc.Coding {
		if code := str(c.Code); code != "" {
			out = append(out, docbridge.Coding{System: str(c.System), Code: code, Display: str(c.Display)})
		}
	}
	return out
}

// lookup returns the national coding of the first coding of cc that value
// set vs holds (or that local-codes.yaml maps into it). When none does it
// records UnmappedCode and returns the first coding as the source gave it;
// when cc has no coding it returns a zero coding and no problem: whether
// the field is required is decided after the source profile is applied
// (convert.Converter.Convert).
func (b *builder) lookup(cc *fm.CodeableConcept, vs, path, what string) (docbridge.Coding, bool) {
	cs := codings(cc)
	if len(cs) == 0 {
		return docbridge.Coding{}, false
	}
	for _, c := range cs {
		if got, ok := b.m.Lookup(vs, c.System, c.Code); ok {
			return got, true
		}
	}
	first := cs[0]
	first.System = mappings.SystemURI(first.System)
	b.errorf(docbridge.UnmappedCode, "%s code %q (system %s) is not in %s: map it to a national %s code",
		path, clip(first.Code, 32), orNotGiven(first.System), vs, what)
	return first, false
}

// typeAndClass reads the document type (JDV_J07) and derives the class
// (TRE_A03 through ASS_X04). A category the source gives in TRE_A03 that
// differs from the derived class is a warning: the derived one is sent.
func (b *builder) typeAndClass(typ *fm.CodeableConcept, category []fm.CodeableConcept, path string) {
	t, ok := b.lookup(typ, mappings.TypeCodes, path+".type", "document type")
	b.d.Type = t
	if !ok {
		return
	}
	class, ok := b.m.ClassOf(t)
	if !ok {
		b.errorf(docbridge.UnmappedCode,
			"the document type %q has no class in ASS_X04: the class code (TRE_A03) cannot be derived", clip(t.Code, 32))
		return
	}
	b.d.Class = class
	for i := range category {
		for _, c := range codings(&category[i]) {
			if mappings.SystemURI(c.System) == mappings.ClassSystem && c.Code != class.Code {
				b.warnf(docbridge.UnmappedCode,
					"%s.category %q differs from the class %q that ASS_X04 derives from the type %q; the derived class is sent",
					path, clip(c.Code, 16), class.Code, clip(t.Code, 32))
			}
		}
	}
}

// securityLabels reads confidentiality and visibility codes (JDV_J08): the
// HL7 v3 code (N, R, V) is the confidentiality, TRE_A07 codes are security
// labels. A code N, R or V in another system is read as the HL7 v3 code,
// with a warning (a PDSm example writes N in TRE_A07). No label leaves the
// confidentiality to the source profile (or the national default).
func (b *builder) securityLabels(labels []fm.CodeableConcept, path string) {
	for i := range labels {
		for _, c := range codings(&labels[i]) {
			sys := mappings.SystemURI(c.System)
			switch {
			case sys == mappings.HL7Confidentiality && b.m.Contains(mappings.Confidentiality, sys, c.Code):
				b.confidentiality(c.Code, path)
			case b.m.Contains(mappings.Confidentiality, mappings.HL7Confidentiality, c.Code):
				b.warnf(docbridge.UnmappedCode, "%s.securityLabel %q is written in system %s; it is read as the HL7 v3 confidentiality code",
					path, c.Code, orNotGiven(sys))
				b.confidentiality(c.Code, path)
			default:
				if got, ok := b.m.Lookup(mappings.Confidentiality, c.System, c.Code); ok {
					b.d.SecurityLabels = append(b.d.SecurityLabels, got)
					continue
				}
				b.errorf(docbridge.UnmappedCode, "%s.securityLabel %q (system %s) is not in JDV_J08", path, clip(c.Code, 32), orNotGiven(sys))
			}
		}
	}
}

func (b *builder) confidentiality(code, path string) {
	if b.d.Confidentiality != "" && b.d.Confidentiality != code {
		b.errorf(docbridge.Malformed, "%s gives two confidentiality codes, %s and %s", path, b.d.Confidentiality, code)
		return
	}
	b.d.Confidentiality = code
}

// format reads the formatCode (JDV_J10): the given one when it is in
// JDV_J10, else the one ASS_12 gives for the content type.
func (b *builder) format(given *fm.Coding, contentType, path string) {
	code := ""
	if given != nil {
		code = str(given.Code)
		if code != "" && b.m.Contains(mappings.FormatCodes, str(given.System), code) {
			b.d.Format = code
			return
		}
	}
	if f, ok := b.m.FormatForMediaType(contentType); ok {
		b.d.Format = f.Code
		if code != "" {
			b.warnf(docbridge.UnmappedCode, "%s.format %q is not in JDV_J10; %s, the format of %s, is sent", path, clip(code, 64), f.Code, clip(contentType, 40))
		}
		return
	}
	switch {
	case code != "":
		b.errorf(docbridge.UnmappedCode, "%s.format %q is not in JDV_J10, and no formatCode is known for the content type %s (ASS_12): give a JDV_J10 format",
			path, clip(code, 64), orNotGiven(clip(contentType, 40)))
	default:
		b.errorf(docbridge.UnmappedCode, "%s.format is missing and no formatCode is known for the content type %s (ASS_12): give a JDV_J10 format",
			path, orNotGiven(clip(contentType, 40)))
	}
}

func orNotGiven(s string) string {
	if strings.TrimSpace(s) == "" {
		return "not given"
	}
	return s
}
