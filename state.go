package docbridge

// State is the persisted state of one document version (docs/architecture.md §3).
type State string

// The document states. The happy path is Received → Converted → Matched →
// Delivered.
const (
	Received   State = "received"
	Converted  State = "converted"
	Matched    State = "matched"
	Delivered  State = "delivered"
	Held       State = "held"
	Review     State = "review"
	Failed     State = "failed"
	Superseded State = "superseded"
	Deleted    State = "deleted"
)

// Final reports whether no stage moves a document out of s on its own.
// Held documents wait for something that may come; review waits for a person.
func (s State) Final() bool {
	switch s {
	case Delivered, Failed, Superseded, Deleted:
		return true
	}
	return false
}
