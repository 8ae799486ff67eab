// Package identity decides whether a document may go to a paired patient:
// INS checks (length, OID allowed for the environment, check key), the five
// strict traits, the source's identity status, and an exact comparison of the
// document's identity with the pairing's, after normalisation for comparison
// only (docs/architecture.md §8; the comparison itself is package traits').
//
// Nothing here guesses: anything short of an exact match is a problem with a
// reason code, and a trait-by-trait Diff tells a person what differs. What no
// person can settle — no INS, an INS of invalid form, a missing trait
// (Incomplete) — stops matching and refuses every confirmation, whatever
// review the document is in. Messages never carry patient data.
package identity
