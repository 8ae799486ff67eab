// Package cda converts a French CDA R2 document (CI-SIS "structuration
// minimale" header, level 1 or structured body) into one normalised
// docbridge.Document: the PDSm metadata of docs/architecture.md §11 derived from the header
// as docs/sources.md §2 say, the patient's INS and strict traits,
// and the exact bytes to send (the whole CDA file, as text/xml).
//
// Convert is a pure function: no I/O, no clock, no mutable globals. The input
// goes through the XML policy of docs/architecture.md §9 before anything is read from it
// (see secure.go): no DOCTYPE or entity declaration, a size and a depth cap,
// strict well-formedness, namespace-checked root. A whole-input refusal is an
// *docbridge.Error; everything else wrong with a document is a
// docbridge.Problem on it, with a reason code and a sentence that names the
// element to fix and never carries patient data.
//
// Namespaces: etree paths match on prefixes, not namespace URIs, so this
// package never uses etree paths. It walks children with helpers that check
// each element's namespace URI is urn:hl7-org:v3 (xml.go).
package cda
