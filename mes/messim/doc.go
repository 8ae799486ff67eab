// Package messim is a strict simulator of MES — the Documents API as
// docbridge's two profiles speak it, the Mesures and Agenda APIs, and the
// pairing (docs/architecture.md §13). It ships in the binary: it is the
// engine of docbridge mes-sim and demo, and its httptest form serves the
// tests. mes-api is POST
// /DocumentReference with the content inline; pdsm-iti65 is the PDSm ITI-65
// transaction POSTed to the base (transaction.go), the logical deletion as a
// conditional PATCH (patch.go), and the ITI-67 search. Documents sent
// through either profile are one store: each profile's search and retrieval
// finds them all, and either may replace the other's.
//
// It also simulates pairing (oauth.go, consent.go): an authorize endpoint
// with a consent page, a token endpoint (authorization code with PKCE S256
// required, refresh with rotation, configurable lifetimes), the paired
// patient's identity as a FHIR Patient, and RFC 7009 revocation. Patients
// pair with the identities registered by AddIdentity; AddPatient issues a
// token directly, as before.
//
// It rejects what MES would reject, with a FHIR OperationOutcome: unknown or
// revoked bearer tokens (401), a subject whose INS is not the token's
// patient (403), malformed JSON or unknown elements (400), missing or wrong
// metadata, a size or SHA-1 that does not match the decoded content, codes
// outside their value sets (422), the same uniqueId with other content
// (409), bodies over the limit (413). Of a bundle it also requires what
// PDSm does: the SubmissionSet's designationType, sourceId, source and one
// entry naming the DocumentReference, contained authors and custodian, the
// Binary the attachment URL names, and with a replacement the patch that
// supersedes the replaced version; it processes the bundle atomically. It
// is idempotent on the uniqueId: the same document sent again answers 200
// with the existing id and the header X-MES-Duplicate: true. It supports
// replacement (relatesTo replaces), the delete by identifier (mes-api) or
// logical deletion (PDSm), search by patient, status, identifier and type
// with pages, and retrieval of the content.
//
// The attachment data is never held as base64: the request is filtered as it
// is read, and the data string is decoded, hashed and stored on the fly.
// Answers never echo patient data.
//
// It imports only the standard library and the root package: it is an
// independent reading of the wire contract, not a copy of the client's.
package messim
