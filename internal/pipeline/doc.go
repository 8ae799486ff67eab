// Package pipeline runs the stages of docbridge over the durable store:
// convert (bytes → documents, checked), match (document → paired patient)
// and deliver (document → MES). Stages are not in-memory hand-offs: each one
// reads committed rows and commits its outcome, so a crash at any point
// resumes from the last committed state (docs/architecture.md §1).
//
// The package declares the small interfaces it consumes (Store, Converter,
// Checker, Matcher, Sender); cmd/docbridge wires concrete types into them.
package pipeline
