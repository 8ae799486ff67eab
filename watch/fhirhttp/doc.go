// Package fhirhttp is docbridge's FHIR intake: an HTTP(S) endpoint where
// other software posts documents, stored through a docbridge.Sink.
//
// Endpoints, for integrators:
//
//	POST /                    an ITI-65 transaction Bundle (PDSm "provide document bundle")
//	POST /Bundle              a FHIR document Bundle (type document, Composition first)
//	POST /DocumentReference   an ITI-105 DocumentReference, the document in attachment.data
//	POST /Observation         a measurement: an Observation, or (also at /) a Bundle of
//	                          Observations with their Patient, when the sender's source
//	                          profile turns measurements on (README "Measurements")
//	POST /pdf                 a PDF, as multipart/form-data: part "sidecar" (optional, first:
//	                          the JSON or YAML metadata of a PDF sidecar), then part "file"
//	GET  /status/<id>         what became of input <id>: its state and its documents'
//
// FHIR bodies are application/fhir+json, up to MaxBodyBytes (128 MiB by
// default: FHIR is read in memory). A bigger document goes to /pdf, which
// streams the PDF into the store, up to MaxPDFBytes:
//
//	curl -H "Authorization: Bearer $TOKEN" -F sidecar=@report.json -F file=@report.pdf https://host:8444/pdf
//
// Answers:
//
//   - 202 Accepted only once the input is durable (fsynced and committed),
//     with Location and Content-Location: /status/<id>, and an
//     OperationOutcome with one issue for the input and one per document
//     (its state, and its reason when it stopped: review, held);
//   - 400, 413 or 422 with an OperationOutcome when the input itself is
//     refused: its issue carries the reason code (system
//     urn:docbridge:reason, docs/architecture.md §3) and a sentence saying what to
//     fix. A refused input is still stored, for inspection, and its status
//     URL is given;
//   - 413 for a body over the limit (nothing stored), 415 for a wrong
//     Content-Type, 400 for a resource posted to the wrong path (nothing
//     stored), 401 without valid credentials, 404 and 405 for unknown
//     paths and methods, 503 with Retry-After when the store cannot take
//     the input now (send it again).
//
// Authentication: a bearer token among Options.Tokens (compared in
// constant time), or a client certificate verified against the client CAs
// of Options.TLS. The intake refuses to start without either. Logs carry
// input ids, peers, states and reasons; never bodies, file names or
// sidecars, which may hold patient data.
//
// Like every intake, fhirhttp imports only the root package.
package fhirhttp
