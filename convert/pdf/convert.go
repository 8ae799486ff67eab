package pdf

import (
	"crypto/sha1"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/dates"
	"github.com/docbridge/docbridge/mappings"
)

// ContentType is the MIME type a PDF is sent with.
const ContentType = "application/pdf"

// Options are what Convert needs besides the PDF.
type Options struct {
	Mappings *mappings.Set  // required
	Location *time.Location // for times without an offset; nil means Europe/Paris
	// RequirePDFA refuses a PDF that does not declare PDF/A conformance in
	// its XMP metadata (UnsupportedFormat).
	RequirePDFA bool
}

// Convert reads a PDF of size bytes from r, checks it, and returns it as
// one document whose metadata come from origin: from its sidecar when it
// has one (see Sidecar), else from its file name through the first
// matching pattern of o.Mappings (see mappings.FilenamePattern). When it
// has both, the patient's identity the file name gives must agree with the
// sidecar's, or the document has an IdentityMismatch problem. The PDF is
// sent as it is: the document has ContentIsInput set and no Content; its
// Size, SHA1 and SHA256 are computed in one streaming pass over r, and no
// more than a 64 KiB buffer of the PDF is held at a time. A PDF up to
// StructureLimit is also read by pdfcpu; one it cannot read gets a warning.
//
// Convert reads nothing but r: no file, clock or global. A whole-input
// refusal is an *docbridge.Error: Malformed (no %PDF- header, no %%EOF
// marker, a sidecar that is not valid JSON or YAML), TooLarge (a sidecar
// over docbridge.MaxSidecar), UnsupportedFormat (not PDF/A while
// o.RequirePDFA), MissingMetadata (no sidecar and no pattern matches the
// name), Internal (r cannot be read, no o.Mappings). Everything else wrong
// is a problem on the document. Messages never quote the file name or a
// value of the sidecar: both may be patient data.
func Convert(r io.ReaderAt, size int64, origin docbridge.Origin, o Options) ([]*docbridge.Document, error) {
	if o.Mappings == nil {
		return nil, docbridge.Errorf(docbridge.Internal, "pdf.Convert was called without value sets (Options.Mappings)")
	}
	loc, err := dates.Location(o.Location)
	if err != nil {
		return nil, err
	}
	var side *Sidecar
	if origin.Sidecar != nil {
		if side, err = ParseSidecar(origin.Sidecar); err != nil {
			return nil, err
		}
	}
	base := path.Base(strings.ReplaceAll(origin.Name, `\`, "/"))
	match, named := o.Mappings.MatchFilename(base)
	if side == nil && !named {
		return nil, docbridge.Errorf(docbridge.MissingMetadata,
			"the PDF came without a sidecar (<name>.json or <name>.yaml beside it) and its file name matches no pattern of %s: its metadata cannot be derived",
			mappings.FilenamePatternsFile)
	}
	sc, err := scan(r, size)
	if err != nil {
		return nil, err
	}
	if o.RequirePDFA && sc.pdfa == "" {
		return nil, docbridge.Errorf(docbridge.UnsupportedFormat,
			"the PDF does not declare PDF/A conformance (no pdfaid:part in its XMP metadata) and this installation requires PDF/A: convert it to PDF/A before sending it")
	}
	d := &docbridge.Document{
		Action: docbridge.Create, ContentType: ContentType, ContentIsInput: true,
		Size: sc.size, SHA1: sc.sha1, SHA256: sc.sha256,
		Authors: []docbridge.Author{}, Problems: []docbridge.Problem{},
	}
	b := &builder{m: o.Mappings, loc: loc, d: d}
	switch {
	case side != nil:
		b.fromSidecar(side)
		if named {
			b.agree(match)
		}
	default:
		b.fromFilename(match)
	}
	if d.Format == "" {
		if f, ok := o.Mappings.FormatForMediaType(ContentType); ok {
			d.Format = f.Code
		} else {
			b.errorf(docbridge.UnmappedCode, "no formatCode of JDV_J10 is known for application/pdf (ASS_12)")
		}
	}
	if size <= StructureLimit && !readable(r, size) {
		b.warnf(docbridge.Malformed,
			"pdfcpu cannot read the PDF's structure (cross-reference table, objects or page tree): check that the file opens in a PDF reader")
	}
	return []*docbridge.Document{d}, nil
}

// builder fills one document.
type builder struct {
	m   *mappings.Set
	loc *time.Location
	d   *docbridge.Document
}

func (b *builder) errorf(code docbridge.Reason, format string, args ...any) {
	b.d.AddProblem(code, docbridge.SeverityError, format, args...)
}

func (b *builder) warnf(code docbridge.Reason, format string, args ...any) {
	b.d.AddProblem(code, docbridge.SeverityWarning, format, args...)
}

// derivedID is the uniqueId of a PDF that names none: a UUID (version 5
// layout) derived from what identifies it, so that the same PDF, or the
// same sender's document number, always gives the same uniqueId.
func derivedID(key string) string {
	h := sha1.Sum([]byte("docbridge:pdf:" + key))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
