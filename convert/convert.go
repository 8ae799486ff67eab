package convert

import (
	"errors"
	"io"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/cda"
	"github.com/docbridge/docbridge/convert/hl7v2"
	"github.com/docbridge/docbridge/mappings"
)

// DefaultMaxSize is the input size limit when Options.MaxSize is 0: 512 MiB.
const DefaultMaxSize = 512 << 20

// Options are what every converter needs.
type Options struct {
	Mappings *mappings.Set
	Location *time.Location // for source times without an offset; nil means Europe/Paris
	MaxSize  int64          // inputs over this are TooLarge; 0 means 512 MiB
	// HL7Charsets overrides MSH-18 per sending application (MSH-3.1) for
	// HL7 v2 input: see hl7v2.Options.Charsets.
	HL7Charsets map[string]string
}

// Convert detects raw's format and converts it into normalised documents.
// It is a pure function. An error means the whole input is refused
// (*docbridge.Error: Malformed, UnsupportedFormat, ForbiddenConstruct,
// TooLarge; Internal when o.Mappings is nil); problems of one document are in
// its Problems.
//
// The returned format is the detected one, also when the error says that no
// converter for it exists in this version ("… intake is not available"): FHIR
// and PDF intake come later. HL7 v2 (bare or MLLP-framed) goes to
// convert/hl7v2. It is "" when the size limit or detection
// refused the input. A CDA document also meets the CDA parser's own limit
// (cda.MaxSize); its document has ContentIsInput set (its Content is raw,
// the whole input).
func Convert(raw []byte, o Options) (docbridge.Format, []*docbridge.Document, error) {
	limit := o.MaxSize
	if limit <= 0 {
		limit = DefaultMaxSize
	}
	if int64(len(raw)) > limit {
		return "", nil, docbridge.Errorf(docbridge.TooLarge,
			"the input is %d bytes, over the limit of %d bytes", len(raw), limit)
	}
	f, err := Detect(raw)
	if err != nil {
		return "", nil, err
	}
	switch f {
	case docbridge.FormatCDA:
		if o.Mappings == nil {
			return f, nil, docbridge.Errorf(docbridge.Internal, "convert.Convert was called without value sets (Options.Mappings)")
		}
		docs, err := cda.Convert(raw, o.Mappings, o.Location)
		for _, d := range docs {
			d.ContentIsInput = true // the CDA file is sent as it is
		}
		return f, docs, err
	case docbridge.FormatFHIR:
		return f, nil, notAvailable("FHIR JSON")
	case docbridge.FormatHL7v2:
		if o.Mappings == nil {
			return f, nil, docbridge.Errorf(docbridge.Internal, "convert.Convert was called without value sets (Options.Mappings)")
		}
		docs, err := hl7v2.Convert(raw, hl7v2.Options{Mappings: o.Mappings, Location: o.Location, Charsets: o.HL7Charsets})
		return f, docs, err
	case docbridge.FormatPDF:
		return f, nil, notAvailable("bare PDF")
	}
	return f, nil, docbridge.Errorf(docbridge.UnsupportedFormat, "no converter handles the format %q", f)
}

func notAvailable(what string) error {
	return docbridge.Errorf(docbridge.UnsupportedFormat,
		"%s intake is not available in this version; send the document as a CDA R2 XML file", what)
}

// streamHead is how much of an input ConvertStream reads to detect its
// format.
const streamHead = 1 << 20

// ConvertStream is Convert for an input read from r (size bytes) that may
// be too big to hold in memory: a CDA document is read once, in a stream,
// by cda.ConvertStream (its document has ContentIsInput set and no
// Content; its metadata are Convert's). Other formats are read whole and
// given to Convert. Errors are Convert's, plus Internal when r cannot be
// read.
func ConvertStream(r io.ReaderAt, size int64, o Options) (docbridge.Format, []*docbridge.Document, error) {
	limit := o.MaxSize
	if limit <= 0 {
		limit = DefaultMaxSize
	}
	if size > limit {
		return "", nil, docbridge.Errorf(docbridge.TooLarge,
			"the input is %d bytes, over the limit of %d bytes", size, limit)
	}
	head := make([]byte, min(size, streamHead))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return "", nil, docbridge.Wrap(docbridge.Internal, "read the stored input", err)
	}
	if f, err := Detect(head); err != nil || f != docbridge.FormatCDA || o.Mappings == nil {
		raw := make([]byte, size)
		if _, err := r.ReadAt(raw, 0); err != nil && !(errors.Is(err, io.EOF) && size == 0) {
			return "", nil, docbridge.Wrap(docbridge.Internal, "read the stored input", err)
		}
		return Convert(raw, o)
	}
	docs, err := cda.ConvertStream(r, size, o.Mappings, o.Location)
	return docbridge.FormatCDA, docs, err
}
