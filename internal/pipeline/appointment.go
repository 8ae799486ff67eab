package pipeline

import (
	"context"
	"fmt"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// planAppointment decides how to deliver r, a version of an appointment
// (docs/architecture.md §4). Every message about an appointment is a whole
// new version of it under one uniqueId, so only the newest matters:
//   - a version of another patient under the same id stops r in review
//     (VersionConflict), as for documents;
//   - r is retired (superseded) without being sent when a newer version —
//     by the source's event time, else by arrival — is delivered or on its
//     way (not stopped in review or failed): an older message never
//     overwrites a newer one at MES, whatever order they came in;
//   - r waits while another instance (under a Lease) may be sending an
//     older version, as a replacement waits for its original;
//   - otherwise r goes as an update (MES's conditional update on the
//     appointment's identifier) when some version may have reached MES,
//     else as a creation. The appointment's versions are one chain
//     (their uniqueId), so they are never in flight together.
func (p *Pipeline) planAppointment(ctx context.Context, r store.DocRow) (plan, error) {
	d := r.Doc
	rows, err := p.o.Store.Documents(ctx, store.Filter{UniqueID: r.UniqueID})
	if err != nil {
		return plan{}, fmt.Errorf("find the other versions of appointment %d: %w", r.ID, err)
	}
	var olds []store.DocRow
	for _, o := range rows {
		if o.ID != r.ID && o.State != docbridge.Failed {
			olds = append(olds, o)
		}
	}
	if t := crossPatient(r, d, olds); t != nil {
		return plan{instead: t}, nil
	}
	reached := false
	var elsewhere []store.DocRow
	for _, o := range olds {
		if newerVersion(o, r) && onItsWay(o.State) {
			return plan{instead: retirement(r, docbridge.Superseded, fmt.Sprintf(
				"document %d, a newer version of this appointment, is %s: this older one is not sent", o.ID, o.State))}, nil
		}
		if o.Attempts > 0 || o.MESID != "" || o.State == docbridge.Delivered {
			reached = true
		}
		if p.claimedElsewhere(o) {
			elsewhere = append(elsewhere, o)
		}
	}
	if len(elsewhere) > 0 {
		// Another instance may be sending an older version now: r goes
		// after it, never beside it.
		return plan{instead: waitFor(r, d, elsewhere)}, nil
	}
	if reached {
		u := *d
		u.Action, u.Replaces = docbridge.Replace, d.UniqueID
		return plan{send: &u}, nil
	}
	return plan{send: asCreation(d)}, nil
}

// newerVersion reports whether o is a newer version of r's appointment:
// said later by the source (Appointment.EventTime), or, when the event
// times do not tell, stored later.
func newerVersion(o, r store.DocRow) bool {
	a, b := o.Doc.Appointment, r.Doc.Appointment
	switch {
	case a == nil || b == nil:
	case a.NewerThan(b):
		return true
	case b.NewerThan(a):
		return false
	}
	return o.ID > r.ID
}

// onItsWay reports whether a version in state s is at MES or will be
// sent: delivered, or still going through the pipeline.
func onItsWay(s docbridge.State) bool {
	switch s {
	case docbridge.Delivered, docbridge.Received, docbridge.Converted, docbridge.Matched, docbridge.Held:
		return true
	}
	return false
}
