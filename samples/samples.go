// Package samples embeds docbridge's synthetic sample documents (fictitious
// patients only), their pairings and the state each is expected to reach,
// so that `docbridge demo` runs from any directory.
package samples

import "embed"

// FS holds the sample documents (*.xml), pairings.json and expected.json.
//
//go:embed *.xml *.json
var FS embed.FS
