// Package fhir converts FHIR R4 JSON inputs into normalised
// docbridge.Documents: a DocumentReference with its content inline (ITI-105),
// an ITI-65 transaction Bundle (SubmissionSet List, DocumentReferences and
// their Binary), and a FHIR document Bundle (Composition first), as the
// PDSm implementation guide writes them (docs/sources.md §1);
// and an Appointment, into one KindAppointment document (appointment.go).
//
// Metadata are read with the samply models
// (github.com/samply/golang-fhir-models), minding what they get wrong
// (docs/sources.md §5): they drop contained resources, where MHD
// puts the sourcePatientInfo Patient and often the authors, so contained is
// read in a raw encoding/json pass; and an enum whose element is absent
// reads as its first code (a DocumentReference without status is
// "current", a relatesTo without code "replaces", a Bundle without type a
// "document"), so those elements are read raw too.
//
// The patient's INS comes from the subject (PDSm's conditional reference
// Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|<INS>, or a Patient of the
// input) and the five strict traits from the FR Core Patient the input
// holds (contained sourcePatientInfo, or the subject): the official name,
// the birth-list-given-name extension, gender, birthDate and the
// birthPlace extension's INSEE code.
//
// Convert is a pure function, like the other converters: a whole-input
// refusal is an *docbridge.Error, everything else a problem on a document,
// and no message quotes patient data.
package fhir
