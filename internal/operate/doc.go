// Package operate is the one home of what a person does to stored
// documents, from the command line (`docbridge queue retry|release|
// reconvert|review`) or from the console: which documents an action
// applies to (Applies, Select), the transition it makes (Plan), recording
// it under the person's name (Do, ReconvertInput), and the review decisions
// the matcher reads back (DecisionLog). Both callers go through here, so
// the same act on the same document leaves the same state and the same
// audit record wherever it was done; only the actor ("user:NAME") says
// who did it (docs/architecture.md §3).
//
// Where a retried or released document goes: back to converted, so that
// it is matched again with the pairings of now — a pairing may have been
// revoked, renewed or narrowed in scope since it was first matched — and
// then delivered. Going straight to matched would skip the match stage's
// checks (the scope of the pairing among them).
package operate
