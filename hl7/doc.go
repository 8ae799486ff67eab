// Package hl7 is the HL7 v2 wire format and nothing else: the ER7 encoding
// (parse and escape), MSH-18 character sets, MLLP framing and
// acknowledgement (ACK) building. It knows no document, patient or store: it
// is a leaf package that imports only the standard library and
// golang.org/x/text (docs/architecture.md §2), used by watch/mllp for framing and ACKs
// and by convert/hl7v2 for documents.
//
// Parsing is zero-copy. Parse finds the delimiters in MSH and the segment
// boundaries (CR, LF or CRLF, chosen by how MSH ends); fields, repetitions,
// components and subcomponents are located only when asked for, as
// sub-slices of the input. Escape sequences and the character set are
// applied only by Value.String and Value.Bytes, so a 100 KB base64 payload
// is never copied or scanned more than the few times needed to find its
// bounds.
//
// Nothing in this package logs, and no error message quotes message content
// (which may be patient data): errors name positions (segment number,
// field) and, for MSH-18, the character set name.
package hl7
