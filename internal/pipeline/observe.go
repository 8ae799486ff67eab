package pipeline

import (
	"time"

	"github.com/docbridge/docbridge"
)

// Event is something a stage did that an observer (metrics) may count. It
// carries no patient data: codes and durations only.
type Event struct {
	// State is the state the document reached (Delivered or Deleted for a
	// delivery).
	State docbridge.State
	// Reason is the document's reason code after the event, if any
	// (Duplicate for a delivery MES already had).
	Reason docbridge.Reason
	// Kind is what the document carries (a document, a measurement…).
	Kind docbridge.Kind
	// Latency is how long the document took from its creation in the store
	// (when it was received and converted) to this event.
	Latency time.Duration
}

// observe calls Options.Observe, when set, with ev. Observers must be
// quick, must not block and, with Concurrency above 1, must be safe
// for concurrent use: they run on the delivering goroutine.
func (p *Pipeline) observe(ev Event) {
	if p.o.Observe != nil {
		p.o.Observe(ev)
	}
}
