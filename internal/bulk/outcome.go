package bulk

import "github.com/docbridge/docbridge"

// Outcome is where one item of the archive ends, or would end in a dry run.
// An item is a document, or a file refused as a whole.
type Outcome string

// The outcomes. Delivered, Held, Review, Failed, Superseded and Deleted are
// the document states of docs/architecture.md §3; the others belong to the bulk run.
const (
	Delivered  Outcome = "delivered" // dry run: would be delivered now
	Held       Outcome = "held"      // waits for a pairing (or MES)
	Review     Outcome = "review"    // a person must decide
	Failed     Outcome = "failed"    // refused: the input itself is wrong
	Superseded Outcome = "superseded"
	Deleted    Outcome = "deleted"
	Unreadable Outcome = "unreadable" // the file could not be read
	Duplicate  Outcome = "duplicate"  // the same bytes as another file of the archive
	Pending    Outcome = "pending"    // run: not settled when the wait ended

	// IndexInvalid and IndexExtra are rows of the CSV index, not items:
	// they are listed with the refusals and not counted as documents.
	IndexInvalid Outcome = "index-invalid"
	IndexExtra   Outcome = "index-extra"
)

// Listed reports whether items with this outcome are listed one by one in
// the report's refusals (everything that will not reach MES by itself).
func (o Outcome) Listed() bool {
	switch o {
	case Delivered, Held, Superseded, Deleted:
		return false
	}
	return true
}

// outcomeOfState maps a stored document state to its outcome.
func outcomeOfState(s docbridge.State) Outcome {
	switch s {
	case docbridge.Delivered, docbridge.Held, docbridge.Review, docbridge.Failed, docbridge.Superseded, docbridge.Deleted:
		return Outcome(s)
	}
	return Pending
}

// patientStatus says what an item tells of its patient.
type patientStatus int

const (
	noPatient patientStatus = iota // the item never reached matching
	paired
	unpaired
)

// Item is one document of the archive, or one file refused as a whole (Doc
// nil), and where it ends.
type Item struct {
	Path    string // relative to the archive root, slash-separated
	Format  docbridge.Format
	Doc     *docbridge.Document // nil for file-level outcomes
	Outcome Outcome
	Reason  docbridge.Reason
	Message string
}

// patientOf says what an outcome tells of the document's patient: a
// document held not-paired has an unpaired patient; one that was matched
// (delivered, waiting for MES, in review for an identity difference) has a
// paired one; any other never reached matching.
func patientOf(o Outcome, r docbridge.Reason) patientStatus {
	switch {
	case o == Held && (r == docbridge.NotPaired || r == docbridge.PairingRevoked):
		return unpaired
	case o == Delivered, o == Superseded, o == Deleted, o == Held,
		o == Review && r == docbridge.IdentityMismatch:
		return paired
	}
	return noPatient
}
