package fhir

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/dates"
	"github.com/docbridge/docbridge/mappings"
)

// MaxSize is the largest FHIR JSON input Convert reads. FHIR inputs are
// read in memory: the JSON, the base64 text of the content and the decoded
// content together take about three times the input. A bigger document
// comes as a PDF with a sidecar, which is streamed.
const MaxSize = 128 << 20

// Options are what Convert needs besides the input.
type Options struct {
	Mappings *mappings.Set  // required
	Location *time.Location // for times without an offset; nil means Europe/Paris
	// Measurements reads Observations (alone, or in a Bundle with their
	// Patient) as measurement documents (the source profile's
	// Measurements); off, an Observation is refused as before.
	Measurements bool
}

// Convert reads one FHIR R4 JSON input and returns its documents:
//   - a DocumentReference with its content inline in attachment.data
//     (ITI-105 simplified publish): one document whose Content is the
//     decoded data;
//   - a transaction Bundle (ITI-65 provide document bundle): one document
//     per DocumentReference it creates, whose Content is the decoded data of
//     the Binary its attachment.url names;
//   - a document Bundle (type document, its Composition first): one
//     document whose content is the Bundle itself (ContentIsInput, Content
//     raw), with the Composition's metadata;
//   - with o.Measurements, an Observation, or a Bundle of Observations
//     (and their Patients, no DocumentReference): one measurement document
//     (docbridge.KindMeasurement) per Observation a Mesures profile takes.
//   - an Appointment: one KindAppointment document (appointment.go).
//
// Metadata are read with the samply R4 models; what samply gets wrong is
// read from the raw JSON (contained resources, and coded elements whose
// zero value is a valid code: status, relatesTo.code, Bundle.type,
// request.method). Codes are mapped through m as the CDA converter maps
// them. Convert is a pure function: no I/O, no clock, no global.
//
// Any other resource, and a Bundle of another type (a searchset, a
// transaction-response), is refused with UnsupportedFormat and a sentence
// saying what to send instead. Invalid JSON or R4 is Malformed; more than
// MaxSize bytes is TooLarge; a nil o.Mappings is Internal. Everything else
// wrong with a document is a problem on it; messages name the element at
// fault and never quote patient data.
func Convert(raw []byte, o Options) ([]*docbridge.Document, error) {
	if len(raw) > MaxSize {
		return nil, docbridge.Errorf(docbridge.TooLarge,
			"the FHIR input is %d bytes; docbridge reads FHIR JSON up to %d MiB (send a bigger document as a PDF with a sidecar)", len(raw), MaxSize>>20)
	}
	if o.Mappings == nil {
		return nil, docbridge.Errorf(docbridge.Internal, "fhir.Convert was called without value sets (Options.Mappings)")
	}
	loc, err := dates.Location(o.Location)
	if err != nil {
		return nil, err
	}
	h, err := readHead(raw)
	if err != nil {
		return nil, err
	}
	c := &conv{m: o.Mappings, loc: loc}
	if o.Measurements && h.ResourceType == "Observation" {
		return c.observations([]json.RawMessage{raw}, nil, []string{"Observation"})
	}
	if o.Measurements && h.ResourceType == "Bundle" {
		docs, err := c.bundleObservations(raw)
		if !errors.Is(err, errNoObservations) {
			return docs, err
		}
	}
	switch h.ResourceType {
	case "Appointment":
		return c.appointment(raw, h)
	case "DocumentReference":
		d, err := c.documentReference(raw, nil, "DocumentReference")
		if err != nil {
			return nil, err
		}
		return []*docbridge.Document{d}, nil
	case "Bundle":
		t, err := bundleType(raw)
		if err != nil {
			return nil, err
		}
		switch t {
		case "transaction":
			return c.transaction(raw)
		case "document":
			return c.document(raw)
		case "searchset":
			return nil, unsupported("the Bundle is a searchset, the result of a search (ITI-67), not a document to publish: send a DocumentReference with its content (ITI-105) or an ITI-65 transaction Bundle")
		case "transaction-response", "batch-response":
			return nil, unsupported("the Bundle is a " + t + ", a server's answer to a transaction, not a document to publish")
		default:
			return nil, unsupported("a Bundle of type " + clip(t, 24) + " is not a document input: docbridge reads transaction (ITI-65) and document Bundles")
		}
	case "":
		return nil, unsupported("the JSON has no resourceType: it is not a FHIR resource (a PDF's sidecar, <name>.json, must come with its PDF, <name>.pdf)")
	case "List":
		return nil, unsupported("a List (submission set or folder) carries no document: send it in an ITI-65 transaction Bundle with its DocumentReference and Binary")
	case "Binary":
		return nil, unsupported("a Binary carries no metadata: send a DocumentReference with the content in attachment.data (ITI-105), or an ITI-65 Bundle")
	case "Observation":
		return nil, unsupported("an Observation is a measurement: the source profile of this sender must turn measurements on (profiles: measurements: true) for docbridge to send it to Mon espace santé's Mesures")
	case "Composition":
		return nil, unsupported("a Composition alone is not a FHIR document: send the document Bundle (type document) whose first entry it is")
	}
	return nil, unsupported("a FHIR resource of type " + clip(h.ResourceType, 40) + " carries no document: docbridge reads a DocumentReference (ITI-105), an ITI-65 transaction Bundle or a FHIR document Bundle")
}

func unsupported(msg string) error {
	return docbridge.Errorf(docbridge.UnsupportedFormat, "%s", msg)
}

// conv is one conversion.
type conv struct {
	m   *mappings.Set
	loc *time.Location
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

// hasProblem reports whether the document has an error problem with code.
func (b *builder) hasProblem(code docbridge.Reason) bool {
	return b.hasProblemAbout(code, "")
}

// hasProblemAbout reports whether the document has an error problem with
// code whose message mentions what.
func (b *builder) hasProblemAbout(code docbridge.Reason, what string) bool {
	for _, p := range b.d.Problems {
		if p.Code == code && p.Severity == docbridge.SeverityError && strings.Contains(p.Message, what) {
			return true
		}
	}
	return false
}
