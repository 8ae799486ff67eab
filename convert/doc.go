// Package convert recognises the format of raw input and hands it to the
// converter of that format — convert/cda (CDA R2 XML), convert/hl7v2 (HL7
// v2 ORU/MDM), convert/fhir (FHIR R4 JSON: ITI-105 DocumentReference,
// ITI-65 transaction Bundle, document Bundle) and convert/pdf (a bare PDF
// with its sidecar or a filename pattern) — which turns it into normalised
// docbridge.Documents (docs/architecture.md §1, §11).
//
// Detect sniffs the first bytes only. Converter.Convert is the one entry
// for every caller (the pipeline, bulk, inspect): it enforces the size
// limit, detects and dispatches an input read through an io.ReaderAt,
// streaming what may be big (a CDA, a PDF) and passing a PDF its origin
// (file name and sidecar). It is pure: no I/O but reading the given
// reader, no clock, no globals. Every error it returns is an
// *docbridge.Error whose reason is from the vocabulary of
// docs/architecture.md §3 and whose message carries no patient data.
//
// Source profiles (docs/architecture.md §5): Convert applies the profile that
// origin.Profiles selects for the input (its intake, its sender, and for
// HL7 v2 its MSH-3.1 and MSH-4.1) to every document, filling only what the
// document leaves empty and recording it in Document.Provenance. The
// converters leave the fields a profile can fill empty when the source does
// not carry them; whether one is missing is decided here, once, after the
// profile (require.go). CheckProfile and ParseProfile (LoadProfileFile)
// check a profile against the value sets. LoadProfileFile is the one
// function here that reads a file: the one a caller names.
package convert
