// Package samples embeds docbridge's synthetic sample documents (fictitious
// patients only), their pairings and the state each is expected to reach,
// so that `docbridge demo` runs from any directory.
package samples

import "embed"

// FS holds the sample documents (*.xml, the HL7 v2 messages *.hl7, a
// FHIR DocumentReference *.json, a PDF with its sidecar *.pdf + *.json),
// pairings.json, expected.json and the example configuration
// docbridge.yaml (whose source profiles the demo applies).
//
//go:embed *.xml *.hl7 *.json *.pdf docbridge.yaml
var FS embed.FS
