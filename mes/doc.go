// Package mes is docbridge's client for the Mon espace santé (MES) Documents
// API (docs/architecture.md §13, docs/sources.md §1), with two wire
// profiles chosen by Options.Profile:
//
//   - "mes-api" (the default): one FHIR R4 DocumentReference per document,
//     with the content inline in content.attachment.data, sent with the
//     access token of the patient's pairing (docref.go);
//   - "pdsm-iti65": the PDSm comprehensive ITI-65 transaction bundle, a
//     SubmissionSet List, the DocumentReference with its contained actors,
//     and the content as a Binary (iti65.go, comprehensive.go); a
//     replacement supersedes the replaced version in the same bundle, a
//     delete is PDSm's logical deletion.
//
// An appointment (docbridge.KindAppointment) goes to the Agenda API
// whatever the profile (appointment.go): a FHIR R4 Appointment created by a
// conditional POST and updated by a conditional PUT on its identifier.
//
// Search finds a paired patient's documents (ITI-67 for pdsm-iti65) and
// Retrieve copies one to a writer (ITI-68), for either profile.
//
// The request body is streamed: the metadata is rendered up front with
// encoding/json, then the content is read once, hashed (SHA-1, checked
// against Document.SHA1 and Document.Size) and base64-encoded straight into
// the HTTP body, with the exact Content-Length. A document is never held in
// memory in any form, and a content that does not match its declared hash
// or size is never sent as a complete request.
//
// Every HTTP outcome is classified once, here, into a *docbridge.Error:
// mes-unavailable (network, timeouts, 408, 425, 429, 5xx, with Retry-After),
// pairing-revoked (the token or pairing is gone), mes-rejected (any other
// 4xx, with MES's diagnostics scrubbed of patient data), or internal (the
// content does not match its hashes). A 2xx with MES's duplicate signal is a
// Receipt with Duplicate set.
//
// The real MES wire details (paths, header names, the delete request, and
// the choices made where PDSm leaves room) are given only to referenced
// editors; everything that may have to be aligned with the editors'
// swagger lives in wire.go.
//
// The package mes/messim is a strict simulator of both profiles, and of
// the Agenda API, for tests and for docbridge mes-sim.
package mes
