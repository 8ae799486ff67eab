package docbridge

import "time"

// Appointment is the payload of a Document of KindAppointment: one
// appointment of the patient's, as the source's scheduling system
// announced it (an HL7 v2 SIU message, a FHIR Appointment), normalised.
// Every message about one appointment is a new version of it under the
// same Document.UniqueID (the source's appointment identifier); the
// delivery stage sends only the version with the latest EventTime and
// never lets an older one overwrite a newer one at MES
// (docs/architecture.md §4). It is patient data: never log it.
type Appointment struct {
	// ID is the source's appointment identifier: the update key at MES
	// (a conditional PUT on Appointment.identifier). System is
	// "urn:oid:<OID>" or, for an id without a global system,
	// "urn:ietf:rfc:3986" with Value the Document.UniqueID.
	ID Identifier `json:"id"`
	// Event is the source event that said it ("SIU^S12", "SIU^S15",
	// "FHIR"): for people and the console.
	Event string `json:"event,omitempty"`
	// Status is the FHIR R4 appointment status: booked, cancelled,
	// noshow, entered-in-error, pending, waitlist, …
	Status string `json:"status"`
	// Start and End are RFC 3339 instants with the source's offset (a
	// source time without one is read in the configured zone); both or
	// neither.
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
	// Minutes is the duration in minutes, 0 when unknown.
	Minutes int `json:"minutes,omitempty"`
	// TypeCode is the source's appointment type (SIU SCH-8.1), which a
	// source profile's agenda types select on, with Service.Code.
	TypeCode string `json:"typeCode,omitempty"`
	// Service is what the appointment is for (SIU AIS-3; FHIR
	// serviceType): its code in the source's system and its label.
	Service Coding `json:"service,omitzero"`
	// Description is the short title shown to the patient.
	Description string `json:"description,omitempty"`
	// Practitioner is who the patient sees (SIU AIP-3: IdNat_PS and
	// display name), nil when the source names none.
	Practitioner *Author `json:"practitioner,omitempty"`
	// Place is where (SIU AIL-3), as the patient reads it.
	Place string `json:"place,omitempty"`
	// Establishment is the establishment's name and address: from the
	// source when it says them, else from its source profile.
	Establishment *Establishment `json:"establishment,omitempty"`
	// CancelReason is the reason given for a cancellation or a no-show
	// (SIU SCH-6), as text.
	CancelReason string `json:"cancelReason,omitempty"`
	// Comment is a note for the patient (SIU NTE).
	Comment string `json:"comment,omitempty"`
	// EventTime is when the source said it (SIU MSH-7, FHIR
	// meta.lastUpdated), RFC 3339: the order of the versions of one
	// appointment. Empty when the source gives none: the order of arrival
	// then decides.
	EventTime string `json:"eventTime,omitempty"`
}

// Establishment is the establishment an appointment takes place in. ID is
// its FINESS as "root^extension" (1.2.250.1.71.4.2.2^…) when known.
type Establishment struct {
	Name    string `json:"name" yaml:"name"`
	Address string `json:"address,omitempty" yaml:"address"`
	ID      string `json:"id,omitempty" yaml:"id"`
}

// The appointment statuses docbridge reads and sends (FHIR R4
// appointmentstatus).
const (
	AppointmentBooked       = "booked"
	AppointmentCancelled    = "cancelled"
	AppointmentNoShow       = "noshow"
	AppointmentEnteredError = "entered-in-error"
)

// NewerThan reports whether a was said after b: both event times are
// instants and a's is later. It is false when either has none (the order
// of arrival then decides).
func (a *Appointment) NewerThan(b *Appointment) bool {
	ta, errA := time.Parse(time.RFC3339Nano, a.EventTime)
	tb, errB := time.Parse(time.RFC3339Nano, b.EventTime)
	return errA == nil && errB == nil && ta.After(tb)
}
