// Package samples embeds docbridge's synthetic sample documents (fictitious
// patients only), their pairings and the state each is expected to reach,
// so that `docbridge demo` runs from any directory.
package samples

import "embed"

// FS holds the sample documents (*.xml, the HL7 v2 messages *.hl7, a
// FHIR DocumentReference *.json, a PDF with its sidecar *.pdf + *.json),
// pairings.json and expected.json.
//
//go:embed *.xml *.hl7 *.json *.pdf
var FS embed.FS
