// Package convert recognises the format of raw input and hands it to the
// converter of that format (convert/cda and convert/hl7v2 today;
// convert/fhir and convert/pdf in later versions), which turns it into normalised
// docbridge.Documents (DESIGN.md §2, §7).
//
// Detect sniffs the first bytes only; Convert enforces the size limit,
// detects and dispatches. Both are pure functions: no I/O, no clock, no
// globals. Every error they return is an *docbridge.Error whose reason is
// from the vocabulary of DESIGN.md §5 and whose message carries no patient
// data.
package convert
