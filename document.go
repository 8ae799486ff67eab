package docbridge

// Format names the kind of input a converter recognised.
type Format string

// The input formats of docs/architecture.md §11.
const (
	FormatCDA   Format = "cda"
	FormatFHIR  Format = "fhir"
	FormatHL7v2 Format = "hl7v2"
	FormatPDF   Format = "pdf"
)

// Action says what a document does to the patient's record.
type Action string

// The document actions.
const (
	Create  Action = "create"
	Replace Action = "replace"
	Delete  Action = "delete"
)

// Coding is one code of a code system. System is a URI ("http://loinc.org")
// or "urn:oid:…" for systems known only by their OID.
type Coding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

// IsZero reports whether c carries no code.
func (c Coding) IsZero() bool { return c.Code == "" }

// Identifier is a value in an identifier system (an OID as "urn:oid:…").
type Identifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

// Organization is an organisation by its national identifier.
type Organization struct {
	ID     string `json:"id,omitempty"`
	System string `json:"system,omitempty"`
	Name   string `json:"name,omitempty"`
}

// Author is a person (or device) who wrote or signed the document.
type Author struct {
	ID           string        `json:"id,omitempty"`
	System       string        `json:"system,omitempty"`
	Name         string        `json:"name,omitempty"`
	Specialty    *Coding       `json:"specialty,omitempty"`
	Organization *Organization `json:"organization,omitempty"`
}

// Patient is the patient's identity as the source document gives it: the INS
// and the five strict traits (birth name, birth first names, birth date, sex,
// INSEE birthplace code), plus local ids. It is patient data: never log it.
type Patient struct {
	INS            string       `json:"ins,omitempty"`
	INSSystem      string       `json:"insSystem,omitempty"`
	BirthName      string       `json:"birthName,omitempty"`
	FirstNames     []string     `json:"firstNames,omitempty"`
	BirthDate      string       `json:"birthDate,omitempty"` // YYYY-MM-DD
	Sex            string       `json:"sex,omitempty"`       // M, F or U
	BirthPlace     string       `json:"birthPlace,omitempty"`
	LocalIDs       []Identifier `json:"localIds,omitempty"`
	IdentityStatus string       `json:"identityStatus,omitempty"`
}

// Severity of a Problem.
type Severity string

// Problem severities: an error stops the document, a warning does not.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Problem is something wrong with an input or a document, with its reason
// code and a sentence that names what to fix. Messages carry no patient data.
type Problem struct {
	Code     Reason   `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

// Document is the normalised document of docs/architecture.md §11: PDSm comprehensive
// metadata plus the exact bytes that will be sent.
type Document struct {
	// Kind says what this carries to MES: a document (the zero Kind,
	// the fields below), a measurement or an appointment.
	Kind Kind `json:"kind,omitempty"`
	// Measurement is the payload of a KindMeasurement document.
	Measurement *Measurement `json:"measurement,omitempty"`
	// UniqueID is derived from the source's own identity: "urn:oid:<root>"
	// or "urn:uuid:<uuid>" for a CDA id without extension, "<root>^<ext>"
	// (the XDS form) when the id has an extension.
	UniqueID string `json:"uniqueId"`
	Action   Action `json:"action"`
	Replaces string `json:"replaces,omitempty"`
	// ReplacesServerID is the MES id of the replaced version when the
	// source names it only by the id MES gave it (FHIR
	// relatesTo.target.reference "DocumentReference/<id>"): Action is then
	// Replace and Replaces stays empty; the pipeline resolves the id through
	// the MES ids docbridge recorded when it delivered, and stops the
	// document in review when none matches.
	ReplacesServerID string `json:"replacesServerId,omitempty"`
	SetID            string `json:"setId,omitempty"`
	Version          string `json:"versionNumber,omitempty"`

	Type  Coding `json:"type"`
	Class Coding `json:"class"`

	Title           string `json:"title"`
	Creation        string `json:"creation"`                 // RFC 3339 with the source's offset, or YYYY-MM-DD for a date-only source
	CreationSource  string `json:"creationSource,omitempty"` // the source's own text
	Language        string `json:"language"`
	Confidentiality string `json:"confidentiality"`
	ContentType     string `json:"contentType"`
	Format          string `json:"format"`

	// SecurityLabels are confidentiality codes beyond Confidentiality: the
	// TRE_A07 visibility codes (MASQUE_PS, INVISIBLE_PATIENT,
	// INVISIBLE_REPRESENTANTS_LEGAUX) a source asks for, such as the
	// MetaDMPMSS OBX flags of an HL7 v2 message.
	SecurityLabels []Coding `json:"securityLabels,omitempty"`

	Size   int64  `json:"size"`
	SHA1   string `json:"sha1"`
	SHA256 string `json:"sha256"`

	FacilityType    Coding `json:"facilityType"`
	PracticeSetting Coding `json:"practiceSetting"`

	ServiceStart string `json:"serviceStart,omitempty"`
	ServiceStop  string `json:"serviceStop,omitempty"`

	Patient            Patient       `json:"patient"`
	Authors            []Author      `json:"authors"`
	LegalAuthenticator *Author       `json:"legalAuthenticator,omitempty"`
	Custodian          *Organization `json:"custodian,omitempty"`

	Problems []Problem `json:"problems"`

	// Provenance names the fields that did not come from the document
	// itself: field name (the JSON name: "facilityType", "practiceSetting",
	// "custodian", "authors", "confidentiality", "language", "type") →
	// where the value came from ("profile:<name>", "index:<line>").
	// Fields the document carried are absent.
	Provenance map[string]string `json:"provenance,omitempty"`

	// Content is the exact bytes that will be sent; Size and the hashes are
	// computed over it. It is not part of the JSON form.
	Content []byte `json:"-"`

	// Appointment is the payload of a KindAppointment document; nil for
	// other kinds.
	Appointment *Appointment `json:"appointment,omitempty"`

	// ContentIsInput says that the bytes to send are the whole input the
	// document was converted from, byte for byte (a CDA file is sent as
	// it is): Content may then be nil, and Size and the hashes, computed
	// while the input was read, are the input's. The store then keeps no
	// second copy and delivery streams the stored input. It is not part of
	// the JSON form.
	ContentIsInput bool `json:"-"`
}

// AddProblem records a problem on the document.
func (d *Document) AddProblem(code Reason, sev Severity, format string, args ...any) {
	d.Problems = append(d.Problems, Problem{Code: code, Severity: sev, Message: sprintf(format, args...)})
}

// FirstError returns the first error-severity problem in the order the
// problems were found, or nil: whether the document may go on at all. It
// does not decide a state: Worst does (docs/architecture.md §3).
func (d *Document) FirstError() *Problem {
	for i := range d.Problems {
		if d.Problems[i].Severity == SeverityError {
			return &d.Problems[i]
		}
	}
	return nil
}
