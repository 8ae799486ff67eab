package convert

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/cda"
	"github.com/docbridge/docbridge/convert/fhir"
	"github.com/docbridge/docbridge/convert/hl7v2"
	"github.com/docbridge/docbridge/convert/pdf"
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
	// RequirePDFA refuses a bare PDF that does not declare PDF/A
	// conformance: see pdf.Options.RequirePDFA.
	RequirePDFA bool
}

// Converter converts inputs with the Options it was made with. It is the
// one shape of conversion (docs/architecture.md §1): the pipeline converts
// every stored input with it, bulk every file of an archive, inspect the
// file it is shown, each through Convert.
type Converter struct{ o Options }

// New returns the Converter of o.
func New(o Options) *Converter { return &Converter{o: o} }

// maxMeasuredCDA is the largest CDA document whose measurements are read
// (in memory): structured documents are small; a bigger one is a level-1
// document carrying a PDF.
const maxMeasuredCDA = 32 << 20

// cdaMeasurements appends to docs, the documents of a CDA input converted
// without error (err), its measurements when the source profile p turns
// them on; read gives the input's bytes. A measurement that cannot be read
// is a warning on the document.
func cdaMeasurements(docs []*docbridge.Document, err error, read func() ([]byte, error), p *docbridge.Profile, o Options) []*docbridge.Document {
	if err != nil || len(docs) != 1 || !measurementsOn(p) {
		return docs
	}
	raw, rerr := read()
	if rerr == nil {
		var ms []*docbridge.Document
		if ms, rerr = cda.Measurements(raw, docs[0].Patient, o.Location); rerr == nil {
			return append(docs, ms...)
		}
	}
	docs[0].AddProblem(docbridge.UnsupportedFormat, docbridge.SeverityWarning, "the document's measurements were not read: %s", docbridge.MessageOf(rerr))
	return docs
}

// measurementsOn reports whether the source profile p turns measurements
// on (docbridge.Profile.Measurements); no profile means off.
func measurementsOn(p *docbridge.Profile) bool { return p != nil && p.Measurements }

// streamHead is how much of an input Convert reads to detect its format.
const streamHead = 1 << 20

// Convert detects the format of the input read from r (size bytes) and
// converts it into normalised documents. An error means the whole input
// is refused (*docbridge.Error: Malformed, UnsupportedFormat,
// ForbiddenConstruct, TooLarge, MissingMetadata; Internal when the
// Options have no Mappings or r cannot be read); problems of one document
// are in its Problems. The returned format is the detected one; it is ""
// when the size limit or detection refused the input. origin is what is
// known of the input besides its bytes (its name, the sidecar that came
// with it, its intake and sender, the source profiles); the zero Origin
// when nothing is.
//
// A CDA document goes to convert/cda, read whole when it is at most 1 MiB,
// else once in a stream; its document has ContentIsInput set and no
// Content. A bare PDF goes to convert/pdf
// with its metadata from the sidecar, else from its file name (a pattern
// of mappings' filename-patterns.yaml), else refused with MissingMetadata;
// it is sent as it is (ContentIsInput, no Content), its size and hashes
// computed in one streaming pass over r, so that memory does not grow
// with the PDF's size. A FHIR input over fhir.MaxSize is refused before it
// is read; other FHIR JSON goes to convert/fhir and HL7 v2 (bare or
// MLLP-framed) to convert/hl7v2, read whole. A sidecar that came with an
// input other than a bare PDF is ignored, with a warning on each document.
//
// The source profile of the input is origin.Profiles.Select of its
// intake, its sender and, for HL7 v2, its MSH-3.1 and MSH-4.1. It fills
// only what each document leaves empty, translated through the Mappings,
// and records each filled field in Document.Provenance ("profile:<name>");
// a profile value the value sets do not know is a ProfileInvalid problem.
// Whether a document lacks a field a source profile can fill (type,
// facility type, practice setting, author, custodian, confidentiality,
// language) is decided here, once, after the profile is applied: what is
// still missing is a MissingMetadata problem (a warning with the national
// default for the language and confidentiality of a document that is not
// a CDA, and for a missing custodian).
//
// Convert is pure but for reading r.
func (c *Converter) Convert(r io.ReaderAt, size int64, origin docbridge.Origin) (docbridge.Format, []*docbridge.Document, error) {
	o := c.o
	if err := checkSize(size, o); err != nil {
		return "", nil, err
	}
	head := make([]byte, min(size, streamHead))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return "", nil, docbridge.Wrap(docbridge.Internal, "read the stored input", err)
	}
	// Detect reads at most the first MiB: the head answers as the whole.
	f, err := Detect(head)
	switch {
	case err != nil:
		return "", nil, err
	case o.Mappings == nil:
		return f, nil, noMappings()
	case f == docbridge.FormatPDF:
		docs, err := pdf.Convert(r, size, origin, o.pdf())
		complete(f, docs, profileKey(origin), origin.Profiles, o)
		return f, docs, err
	case f == docbridge.FormatCDA:
		docs, err := convertCDA(r, size, head, o)
		docs = cdaMeasurements(docs, err, func() ([]byte, error) {
			switch {
			case size > maxMeasuredCDA:
				return nil, fmt.Errorf("the CDA is %d bytes: docbridge reads measurements from CDA documents up to %d MiB", size, maxMeasuredCDA>>20)
			case int64(len(head)) == size:
				return head, nil // read whole already
			}
			raw := make([]byte, size)
			if _, err := r.ReadAt(raw, 0); err != nil && !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("read the stored input: %w", err)
			}
			return raw, nil
		}, origin.Profiles.Select(profileKey(origin)), o)
		complete(f, docs, profileKey(origin), origin.Profiles, o)
		return f, sidecarIgnored(docs, origin), err
	case f == docbridge.FormatFHIR && size > fhir.MaxSize:
		return f, nil, docbridge.Errorf(docbridge.TooLarge,
			"the FHIR input is %d bytes; docbridge reads FHIR JSON up to %d MiB (send a bigger document as a PDF with a sidecar)", size, fhir.MaxSize>>20)
	}
	raw := head
	if int64(len(head)) < size {
		raw = make([]byte, size)
		if _, err := r.ReadAt(raw, 0); err != nil && !errors.Is(err, io.EOF) {
			return "", nil, docbridge.Wrap(docbridge.Internal, "read the stored input", err)
		}
	}
	docs, err := convertWhole(f, raw, origin, o)
	return f, sidecarIgnored(docs, origin), err
}

// convertCDA converts the CDA document r (size bytes, whose first bytes
// are head): from head with the in-memory reader (cda.Convert, the faster
// one) when head holds all of it, else in one streaming pass
// (cda.ConvertStream). Both give the same documents (cda's
// TestStreamMatchesTree); either way the document is sent as the input
// is: ContentIsInput set, no Content.
func convertCDA(r io.ReaderAt, size int64, head []byte, o Options) ([]*docbridge.Document, error) {
	if int64(len(head)) < size {
		return cda.ConvertStream(r, size, o.Mappings, o.Location)
	}
	docs, err := cda.Convert(head, o.Mappings, o.Location)
	for _, d := range docs {
		d.Content, d.ContentIsInput = nil, true
	}
	return docs, err
}

// convertWhole converts an input of format f held whole in memory (FHIR
// JSON, HL7 v2) and applies the source profile of origin.
func convertWhole(f docbridge.Format, raw []byte, origin docbridge.Origin, o Options) ([]*docbridge.Document, error) {
	var docs []*docbridge.Document
	var err error
	key := profileKey(origin)
	switch f {
	case docbridge.FormatFHIR:
		docs, err = fhir.Convert(raw, fhir.Options{Mappings: o.Mappings, Location: o.Location,
			Measurements: measurementsOn(origin.Profiles.Select(key))})
	case docbridge.FormatHL7v2:
		key.SendingApplication, key.SendingFacility = hl7v2.Sender(raw)
		docs, err = hl7v2.Convert(raw, hl7v2.Options{Mappings: o.Mappings, Location: o.Location, Charsets: o.HL7Charsets,
			Measurements: measurementsOn(origin.Profiles.Select(key))})
	default:
		return nil, docbridge.Errorf(docbridge.UnsupportedFormat, "no converter handles the format %q", f)
	}
	complete(f, docs, key, origin.Profiles, o)
	return docs, err
}

// profileKey is what origin says of an input's source, for choosing its
// source profile.
func profileKey(origin docbridge.Origin) docbridge.ProfileKey {
	return docbridge.ProfileKey{Intake: origin.Intake, Sender: origin.Sender}
}

// sidecarIgnored warns, on each document, that the input's sidecar was not
// read: only a bare PDF's is.
func sidecarIgnored(docs []*docbridge.Document, origin docbridge.Origin) []*docbridge.Document {
	if origin.Sidecar == nil {
		return docs
	}
	for _, d := range docs {
		d.AddProblem(docbridge.UnsupportedFormat, docbridge.SeverityWarning,
			"a sidecar came with this input; only a bare PDF's sidecar is read, so it was ignored")
	}
	return docs
}

// checkSize refuses an input over the size limit.
func checkSize(size int64, o Options) error {
	limit := o.MaxSize
	if limit <= 0 {
		limit = DefaultMaxSize
	}
	if size > limit {
		return docbridge.Errorf(docbridge.TooLarge, "the input is %d bytes, over the limit of %d bytes", size, limit)
	}
	return nil
}

func noMappings() error {
	return docbridge.Errorf(docbridge.Internal, "convert was called without value sets (Options.Mappings)")
}

// pdf returns the options of convert/pdf.
func (o Options) pdf() pdf.Options {
	return pdf.Options{Mappings: o.Mappings, Location: o.Location, RequirePDFA: o.RequirePDFA}
}
