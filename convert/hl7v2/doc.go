// Package hl7v2 converts an HL7 v2 message of the French CDA transmission
// volet (ORU^R01, MDM^T02, MDM^T04, MDM^T10; docs/sources.md §4)
// into normalised docbridge.Documents: one per document OBX (OBX-2 ED
// carrying a base64 CDA, ^TEXT^XML^Base64^…, or a PDF,
// ^application^pdf^Base64^…). An ORU carrying the same report as a CDA
// level 1 and a level 3 instance gives two documents, each with its own id.
//
// A CDA payload is converted by convert/cda: the document's metadata come
// from the CDA header and its content is the decoded CDA. A PDF payload's
// metadata come from PID, OBR, TXA and OBX. In both cases the action comes
// from the message (ORC-1, OBX-11 and the MDM event, which must agree), the
// MetaDMPMSS visibility flags become security labels, and the patient of
// PID is checked against the CDA's.
//
// An SIU message (S12, S13, S14, S15, S17, S26: siu.go, appointment.go)
// gives one appointment instead: a KindAppointment document carrying a
// docbridge.Appointment read from SCH, TQ1, AIS, AIL, AIP, NTE and PID.
//
// Convert is a pure function like cda.Convert. A whole-message refusal is
// an *docbridge.Error; when the fault has a place in the message the
// error's message starts with it ("OBX[2]-5.5: …", see hl7.LocationOf) so
// that an MLLP intake can fill ERR-2. Messages never quote patient data.
package hl7v2
