package pipeline

import (
	"context"
	"fmt"
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/internal/store"
)

// plan says what to do with a document, given the other versions of its
// report, so that MES never holds two live versions of one report and a
// version chain never crosses from one patient to another.
type plan struct {
	send *docbridge.Document // what goes on the wire, when instead is nil
	// instead, when not nil, is recorded in place of a delivery: the
	// document is retired without being sent, waits for the version it
	// names to settle, or stops in review.
	instead *store.Transition
}

// maxSettleDepth bounds how far down a chain of versions a delivery
// settles earlier versions inline (a replacement of a replacement of …);
// deeper ones simply wait for their own retries.
const maxSettleDepth = 4

// planFor decides how to deliver r:
//   - a version that a delivered replacement of the same patient already
//     replaces is not sent (it arrived after its replacement);
//   - a replacement or deletion naming a version of another patient stops
//     in review (VersionConflict) and touches nothing;
//   - a replacement naming its original by MES id is resolved through the
//     MES ids docbridge recorded, or stops in review;
//   - a replacement or deletion of a version whose delivery is unknown (sent
//     without a definite answer) first settles that version — retried now
//     when it is due (MES's "already there" makes it delivered), waited for
//     when its retry is later, or, when nothing here retries it any more,
//     looked up at MES (Finder) — and is then sent naming it;
//   - a replacement whose originals certainly never reached MES supersedes
//     them here and goes as a creation; a deletion of such versions deletes
//     them here and sends nothing;
//   - a replacement of a version docbridge has no record of goes as a
//     creation when MES holds none (Finder), else naming it;
//   - otherwise the document goes as it is.
//
// An appointment's versions follow their own rule (planAppointment).
//
// depth counts the deliveries this one is nested in (settling).
func (p *Pipeline) planFor(ctx context.Context, r store.DocRow, depth int) (plan, error) {
	d := r.Doc
	if d.Kind == docbridge.KindAppointment {
		return p.planAppointment(ctx, r)
	}
	if d.Action == docbridge.Create {
		return p.planCreate(ctx, r)
	}
	if d.Action == docbridge.Replace && d.Replaces == "" && d.ReplacesServerID != "" {
		resolved, t, err := p.resolveServerID(ctx, r)
		if err != nil || t != nil {
			return plan{instead: t}, err
		}
		d = resolved
	}
	for settled := false; ; settled = true {
		olds, err := p.namedVersions(ctx, r.ID, d)
		if err != nil {
			return plan{}, err
		}
		if t := crossPatient(r, d, olds); t != nil {
			return plan{instead: t}, nil
		}
		s := p.standings(olds)
		if len(s.pending) == 0 {
			if len(s.unknown) > 0 {
				// Nothing here will retry them: MES says where they are.
				if p.atMES(ctx, r, d, s.unknown[0].UniqueID) {
					s.reached = true
				} else {
					s.absent = append(s.absent, s.unknown...)
				}
			}
			return p.planKnown(ctx, r, d, s)
		}
		if settled || depth >= maxSettleDepth {
			return plan{instead: waitFor(r, d, s.pending)}, nil
		}
		if err := p.settle(ctx, s.pending, depth); err != nil {
			return plan{}, err
		}
	}
}

// planCreate retires a creation that a delivered replacement or deletion
// of the same patient already made obsolete.
func (p *Pipeline) planCreate(ctx context.Context, r store.DocRow) (plan, error) {
	newer, err := p.o.Store.Replacing(ctx, r.Doc.UniqueID)
	if err != nil {
		return plan{}, fmt.Errorf("find replacements of document %d: %w", r.ID, err)
	}
	for _, n := range newer {
		if (n.State == docbridge.Delivered || n.State == docbridge.Deleted) && samePatient(r.Doc, n.Doc) {
			return plan{instead: retirement(r, docbridge.Superseded, fmt.Sprintf("document %d, a newer version, was delivered first", n.ID))}, nil
		}
	}
	return plan{send: r.Doc}, nil
}

// namedVersions returns the other versions d names: those with the
// uniqueId it replaces, or, for a deletion, the non-deletion versions of
// its own uniqueId.
func (p *Pipeline) namedVersions(ctx context.Context, id int64, d *docbridge.Document) ([]store.DocRow, error) {
	target := d.Replaces
	if d.Action == docbridge.Delete {
		target = d.UniqueID
	}
	rows, err := p.o.Store.Documents(ctx, store.Filter{UniqueID: target})
	if err != nil {
		return nil, fmt.Errorf("find the versions document %d %s: %w", id, verb(d), err)
	}
	out := rows[:0]
	for _, o := range rows {
		if o.ID != id && o.Doc.Action != docbridge.Delete {
			out = append(out, o)
		}
	}
	return out, nil
}

// planKnown plans a replacement or deletion once every version it names
// is settled: at MES, or certainly absent. A replacement of a version
// docbridge has no record of goes as a creation only when MES says it
// holds no such version either (a late original is then retired when it
// comes: planCreate).
func (p *Pipeline) planKnown(ctx context.Context, r store.DocRow, d *docbridge.Document, s standings) (plan, error) {
	switch {
	case s.reached:
		return plan{send: d}, nil
	case len(s.absent) == 0:
		if d.Action == docbridge.Replace && !p.atMES(ctx, r, d, d.Replaces) {
			return plan{send: asCreation(d)}, nil
		}
		return plan{send: d}, nil
	}
	to, msg := docbridge.Superseded, fmt.Sprintf("replaced by document %d before it was sent", r.ID)
	if d.Action == docbridge.Delete {
		to, msg = docbridge.Deleted, fmt.Sprintf("deleted by document %d before it was sent", r.ID)
	}
	for _, o := range s.absent {
		if o.State == docbridge.Superseded || o.State == docbridge.Deleted {
			continue
		}
		if err := p.retire(ctx, o, to, msg); err != nil {
			return plan{}, err
		}
	}
	if d.Action == docbridge.Delete {
		return plan{instead: retirement(r, docbridge.Deleted, "the versions it deletes never reached MES: deleted here, nothing to delete at MES")}, nil
	}
	return plan{send: asCreation(d)}, nil
}

// asCreation is d sent as a new document: the versions it replaces never
// reached MES.
func asCreation(d *docbridge.Document) *docbridge.Document {
	c := *d
	c.Action, c.Replaces, c.ReplacesServerID = docbridge.Create, "", ""
	return &c
}

// atMES reports whether MES holds, or may hold, a version of uniqueID for
// d's patient: false only when MES, asked through the Finder, answers that
// it holds none. Without a Finder, or when MES cannot answer, it is true:
// d then goes naming the version and MES answers for it.
func (p *Pipeline) atMES(ctx context.Context, r store.DocRow, d *docbridge.Document, uniqueID string) bool {
	if p.o.Finder == nil {
		return true
	}
	pairing, err := p.o.Matcher.Match(ctx, d)
	var found bool
	if err == nil {
		_, found, err = p.o.Finder.Find(ctx, uniqueID, pairing)
	}
	if err != nil {
		p.o.Log.Warn().Int64("doc", r.ID).Str("reason", string(docbridge.ReasonOf(err))).
			Msg("cannot ask MES whether it holds the version this document names; sent naming it")
		return true
	}
	return found
}

// settle retries now, before the document that names them, the pending
// versions whose retry is due; the others keep their schedule.
func (p *Pipeline) settle(ctx context.Context, pending []store.DocRow, depth int) error {
	for _, o := range pending {
		if !p.dueNow(o) {
			continue
		}
		p.o.Log.Info().Int64("doc", o.ID).Msg("delivery not confirmed: retried before the version that names it")
		if err := p.deliverAt(ctx, o, depth+1); err != nil {
			return err
		}
		p.markSettled(o.ID)
	}
	return nil
}

// waitFor reschedules r after the latest retry of the pending versions it
// names: it goes once MES has answered for them. It stays in its state,
// or is held with the reason of a held version it waits for.
func waitFor(r store.DocRow, d *docbridge.Document, pending []store.DocRow) *store.Transition {
	o := pending[0]
	for _, q := range pending[1:] {
		if q.NextAttempt.After(o.NextAttempt) {
			o = q
		}
	}
	t := &store.Transition{ID: r.ID, From: r.State, To: r.State, Reason: r.Reason, Actor: "deliver", NextAttempt: o.NextAttempt,
		Message: fmt.Sprintf("waits for document %d, the version it %s, whose delivery MES has not confirmed yet; it is sent once MES has answered for that version", o.ID, verb(d))}
	if o.State == docbridge.Held {
		t.To, t.Reason = docbridge.Held, o.Reason
	}
	return t
}

// retirement moves r to superseded or deleted without sending it.
func retirement(r store.DocRow, to docbridge.State, msg string) *store.Transition {
	return &store.Transition{ID: r.ID, From: r.State, To: to, Actor: "deliver", Message: msg}
}

// crossPatient stops r in review when a version it replaces or deletes
// belongs to another patient (the INS or a strict trait differs after
// normalisation). The message names the documents and the traits that
// differ, never their values.
func crossPatient(r store.DocRow, d *docbridge.Document, olds []store.DocRow) *store.Transition {
	for _, o := range olds {
		diffs := identity.Compare(d.Patient, o.Doc.Patient)
		if len(diffs) == 0 {
			continue
		}
		traits := make([]string, len(diffs))
		for i, df := range diffs {
			traits[i] = df.Trait
		}
		return &store.Transition{ID: r.ID, From: r.State, To: docbridge.Review, Reason: docbridge.VersionConflict, Actor: "deliver",
			Message: fmt.Sprintf("document %d (%s) %s document %d (%s) of another patient (%s differ): a document may replace or delete only a document of the same patient; "+
				"nothing was replaced or deleted. Check which patient the source meant, then send the correction under that patient's document",
				r.ID, d.UniqueID, verb(d), o.ID, o.UniqueID, strings.Join(traits, ", "))}
	}
	return nil
}

// samePatient reports whether a and b name the same patient: same INS and
// strict traits after normalisation.
func samePatient(a, b *docbridge.Document) bool {
	return len(identity.Compare(a.Patient, b.Patient)) == 0
}

// resolveServerID resolves the MES id a replacement names its original by
// to the uniqueId of the version docbridge delivered under that id. When
// none was, the document stops in review (VersionConflict): it stays a
// replacement, never a creation.
func (p *Pipeline) resolveServerID(ctx context.Context, r store.DocRow) (*docbridge.Document, *store.Transition, error) {
	id := r.Doc.ReplacesServerID
	rows, err := p.o.Store.DocumentsByMESID(ctx, id)
	if err != nil {
		return nil, nil, fmt.Errorf("resolve the MES id document %d replaces: %w", r.ID, err)
	}
	if len(rows) == 0 {
		return nil, &store.Transition{ID: r.ID, From: r.State, To: docbridge.Review, Reason: docbridge.VersionConflict, Actor: "deliver",
			Message: fmt.Sprintf("document %d replaces the MES document %s, which docbridge never delivered: the replaced version is unknown here. "+
				"Have the source name it by its identifier (relatesTo.target.identifier, the replaced version's masterIdentifier)", r.ID, clip(id, 64))}, nil
	}
	d := *r.Doc
	d.Replaces = rows[0].UniqueID
	return &d, nil, nil
}

// clip shortens s to n bytes for a message.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// verb says what d does to the versions it names.
func verb(d *docbridge.Document) string {
	if d.Action == docbridge.Delete {
		return "deletes"
	}
	return "replaces"
}

// afterDelivery retires the versions a delivered document d (r's, as
// planned) made obsolete: a replacement supersedes the delivered versions
// it replaces, a delete deletes the delivered versions of its uniqueId. It
// runs before the document itself is recorded delivered: after a crash in
// between, the document is sent again (MES answers "already there") and
// nothing is left half done.
func (p *Pipeline) afterDelivery(ctx context.Context, r store.DocRow, d *docbridge.Document) error {
	var target string
	to := docbridge.Superseded
	switch d.Action {
	case docbridge.Replace:
		target = d.Replaces
	case docbridge.Delete:
		target, to = d.UniqueID, docbridge.Deleted
	default:
		return nil
	}
	olds, err := p.o.Store.Documents(ctx, store.Filter{UniqueID: target, State: docbridge.Delivered})
	if err != nil {
		return fmt.Errorf("find the versions document %d retires: %w", r.ID, err)
	}
	for _, o := range olds {
		if o.ID == r.ID || !samePatient(d, o.Doc) {
			continue
		}
		msg := fmt.Sprintf("replaced by document %d", r.ID)
		if to == docbridge.Deleted {
			msg = fmt.Sprintf("deleted by document %d", r.ID)
		}
		if err := p.retire(ctx, o, to, msg); err != nil {
			return err
		}
	}
	return nil
}

// retire moves one version to superseded or deleted. It is settled for
// this deliver step (markSettled): its row in the batch, read before, is
// stale and must not be sent.
func (p *Pipeline) retire(ctx context.Context, o store.DocRow, to docbridge.State, msg string) error {
	err := p.o.Store.Transition(ctx, store.Transition{ID: o.ID, From: o.State, To: to, Actor: "deliver", Message: msg})
	if err != nil && err != store.ErrConflict {
		return fmt.Errorf("retire document %d: %w", o.ID, err)
	}
	p.markSettled(o.ID)
	p.o.Log.Info().Int64("doc", o.ID).Str("state", string(to)).Msg(msg)
	return nil
}
