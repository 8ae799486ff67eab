package docbridge

// Kind says what a Document carries to MES, and so which of MES's data
// APIs takes it: a document (the Documents API, the zero Kind), a
// measurement (Mesures) or an appointment (Agenda). Every kind goes
// through the same pipeline, states, reasons, audit and console.
type Kind string

// The kinds.
const (
	KindDocument    Kind = ""
	KindMeasurement Kind = "measurement"
	KindAppointment Kind = "appointment"
)

// Scope is the pairing scope the patient must have granted for data of
// this kind to be sent (Pairing.Covers).
func (k Kind) Scope() string {
	switch k {
	case KindMeasurement:
		return ScopeMeasurements
	case KindAppointment:
		return ScopeAgenda
	}
	return ScopeDocuments
}

// String names the kind for people and metric labels: "document" for the
// zero Kind.
func (k Kind) String() string {
	if k == KindDocument {
		return "document"
	}
	return string(k)
}
