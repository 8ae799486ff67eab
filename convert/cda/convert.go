package cda

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/beevik/etree"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/dates"
	"github.com/docbridge/docbridge/mappings"
)

// ContentType is the MIME type docbridge sends a CDA document with: the
// whole CDA file is the content (docs/sources.md §2, "text/xml per
// volet").
const ContentType = "text/xml"

// Convert reads one French CDA R2 document and returns it as one normalised
// document whose Content is raw itself (Size, SHA1 and SHA256 are computed
// over raw).
//
// Convert is a pure function: it does no I/O, reads no clock and no mutable
// global, so the same inputs always give the same output. m must be the
// loaded value sets (a nil m is an Internal error). loc is the zone of source
// times written without an offset; nil means Europe/Paris.
//
// A whole-input refusal returns (nil, *docbridge.Error) with reason
// TooLarge, ForbiddenConstruct, Malformed or UnsupportedFormat (see parse, and
// MaxSize and MaxDepth); Internal when m is nil or the default zone cannot
// be loaded. Otherwise the error is nil and everything wrong with the document
// — missing or unmapped metadata, a missing INS or trait — is a Problem on it
// (Document.Worst says whether it may go on, and where it stops). Convert
// does not check the INS check key (internal/identity does). Problem
// messages name the element to fix and never carry patient data.
func Convert(raw []byte, m *mappings.Set, loc *time.Location) ([]*docbridge.Document, error) {
	xdoc, err := parse(raw)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, docbridge.Errorf(docbridge.Internal, "cda.Convert was called without value sets (mappings)")
	}
	loc, err = dates.Location(loc)
	if err != nil {
		return nil, err
	}

	sum1 := sha1.Sum(raw)
	sum256 := sha256.Sum256(raw)
	d := &docbridge.Document{
		Action:      docbridge.Create,
		ContentType: ContentType,
		Size:        int64(len(raw)),
		SHA1:        hex.EncodeToString(sum1[:]),
		SHA256:      hex.EncodeToString(sum256[:]),
		Authors:     []docbridge.Author{},
		Problems:    []docbridge.Problem{},
		Content:     raw,
	}
	b := &builder{m: m, loc: loc, d: d}
	b.build(xdoc.Root())
	return []*docbridge.Document{d}, nil
}

// build fills b.d from the ClinicalDocument root.
func (b *builder) build(root *etree.Element) {
	b.identity(root)
	b.typeAndClass(root)
	b.descriptive(root)
	b.relations(root)
	b.format(root)
	b.context(root)
	b.patient(root)
	b.participants(root)
}

// builder fills one document from one ClinicalDocument.
type builder struct {
	m   *mappings.Set
	loc *time.Location
	d   *docbridge.Document
	// payloads holds the level-1 texts checked while ConvertStream read
	// them (their text is not in the tree); nil for Convert.
	payloads map[*etree.Element]*payloadCheck
}

func (b *builder) errorf(code docbridge.Reason, format string, args ...any) {
	b.d.AddProblem(code, docbridge.SeverityError, format, args...)
}

func (b *builder) warnf(code docbridge.Reason, format string, args ...any) {
	b.d.AddProblem(code, docbridge.SeverityWarning, format, args...)
}

// coded reads a CD/CE element: its code, code system and display name. ok
// is false when e is missing, has a nullFlavor or has no code.
func coded(e *etree.Element) (code, system, display string, ok bool) {
	if e == nil || hasAttr(e, "nullFlavor") {
		return "", "", "", false
	}
	code = attr(e, "code")
	return code, attr(e, "codeSystem"), attr(e, "displayName"), code != ""
}

// lookup maps the coded element e through value set vs. When e is missing
// it returns a zero coding and no problem: whether the field is required is
// decided after the source profile is applied (convert.ConvertOrigin).
// When its code is not in vs it records UnmappedCode and returns the
// source coding as it is (system as a URI). ok reports a mapped code.
func (b *builder) lookup(e *etree.Element, vs, path, what string) (docbridge.Coding, bool) {
	code, system, display, ok := coded(e)
	if !ok {
		return docbridge.Coding{}, false
	}
	if c, ok := b.m.Lookup(vs, system, code); ok {
		return c, true
	}
	src := docbridge.Coding{Code: code, Display: display}
	if system != "" {
		src.System = mappings.SystemURI(system)
	}
	b.errorf(docbridge.UnmappedCode, "%s code %q (system %s) is not in %s: map it to a national %s code",
		path, clip(code), systemName(system), vs, what)
	return src, false
}

// systemName names a code system in a message.
func systemName(system string) string {
	if system == "" {
		return "not given"
	}
	return clip(system)
}
