package bulk

import (
	"context"
	"fmt"
	"strings"

	"github.com/docbridge/docbridge"
)

// A run says where it disagrees with the dry run, and why. When the run
// takes a file, it first evaluates it as DryRun does (the same converter,
// checks and pairings, at that moment) and keeps that prediction per
// document; when the documents have settled, each one whose end differs
// from its prediction carries a note saying why (explain), and is counted
// in Summary.Disagreements. A dry run made earlier agrees with the run but
// for what changed in between (pairings, the index, the store), which the
// run's own prediction sees.

// prediction is what the dry run's rules said of one document (or of a
// file refused as a whole, uniqueID "") when the run took it.
type prediction struct {
	outcome Outcome
	reason  docbridge.Reason
}

// predict evaluates a file as the dry run would and keeps the prediction
// of each of its documents; it does nothing without Check and Match.
func (e *engine) predict(ctx context.Context, rel string, t taken) error {
	if e.o.Check == nil || e.o.Match == nil || e.o.Convert == nil {
		return nil
	}
	for _, it := range e.evaluate(ctx, rel, t.raw, t.org) {
		if it.Outcome == "" {
			continue // matching could not tell now: no prediction
		}
		uid := ""
		if it.Doc != nil {
			uid = it.Doc.UniqueID
		}
		if err := e.s.addPrediction(ctx, rel, uid, it.Outcome, it.Reason); err != nil {
			return err
		}
	}
	return nil
}

// checkAgreement compares an item of the run with its prediction; when
// they differ it appends why to the item's message and counts it.
func (e *engine) checkAgreement(it *Item, preds map[string]prediction) {
	uid := ""
	if it.Doc != nil {
		uid = it.Doc.UniqueID
	}
	p, ok := preds[predKey(it.Path, uid)]
	switch {
	case !ok && it.Doc == nil: // refused as a whole, where the dry run converted it
		p, ok = preds[predKey(it.Path, anyDocument)]
	case !ok: // converted, where the dry run refused it as a whole
		p, ok = preds[predKey(it.Path, "")]
	}
	if !ok || (p.outcome == it.Outcome && p.reason == it.Reason) {
		return
	}
	e.sum.mu.Lock()
	e.sum.Disagreements++
	e.sum.mu.Unlock()
	why := ": " + explain(p, *it)
	if strings.Contains(it.Message, storedWithOtherSidecar) {
		why = "" // the message says why already
	}
	it.Message = joinNote(it.Message, "the dry run said "+describe(p.outcome, p.reason)+why)
}

func predKey(path, uniqueID string) string { return path + "\x00" + uniqueID }

// anyDocument is the uniqueId under which predictions also keeps the
// first prediction of each file.
const anyDocument = "\x00any"

func describe(o Outcome, r docbridge.Reason) string {
	if r == "" {
		return string(o)
	}
	return fmt.Sprintf("%s (%s)", o, r)
}

// explain says why a run's item ends otherwise than its prediction.
func explain(p prediction, it Item) string {
	switch {
	case p.outcome == Held && it.Outcome == Delivered:
		return "the patient's pairing arrived while the run went on"
	case p.outcome == Delivered && (it.Reason == docbridge.NotPaired || it.Reason == docbridge.PairingRevoked):
		return "the patient's pairing was revoked while the run went on"
	case it.Outcome == Pending:
		return "it had not settled when --wait ended: run the same command again to continue"
	case it.Reason == docbridge.MESUnavailable:
		return "MES was unavailable: it is retried on the stored schedule (keep serve running, or run again)"
	case it.Reason == docbridge.MESRejected:
		return "MES refused it, which no dry run can foresee: see the reason"
	case it.Outcome == Superseded:
		return "a newer version of the same document, for the same patient, replaced it"
	case it.Reason == docbridge.PairingExpired:
		return "it waited for its patient longer than identity.hold_max"
	}
	return "its state changed while the run went on (a pairing, a review decision or MES's answer)"
}
