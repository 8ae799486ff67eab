package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/internal/operate"
	"github.com/docbridge/docbridge/internal/store"
)

// runQueueReview shows a document in review (the candidate pairing and the
// trait-by-trait diff, to the operator at the terminal — never logged), or
// records a person's decision on it with operate.Do, the same rules and
// records as the console: confirm, reject or set aside, always with a note, the
// actor being user:<os user>. Confirming an identity mismatch needs the
// diff fingerprint shown, so that what is confirmed is what was seen.
func runQueueReview(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("queue review", "queue review --id N [--confirm --diff FP | --reject | --set-aside] [--note TEXT] (-c FILE | --data DIR)", stderr)
	sf := addStoreFlags(fs)
	id := fs.Int64("id", 0, "the document `id` (docbridge queue list --state review)")
	confirm := fs.Bool("confirm", false, "confirm the match: the document is matched again (an identity mismatch then goes to the pairing shown)")
	reject := fs.Bool("reject", false, "reject the document: it fails with its review reason")
	aside := fs.Bool("set-aside", false, "keep the document in review, with the note")
	note := fs.String("note", "", "why: required with a decision, recorded with it")
	seen := fs.String("diff", "", "the diff `fingerprint` shown by queue review --id N (required to confirm an identity mismatch)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var action operate.Action
	n := 0
	for _, f := range []struct {
		on bool
		a  operate.Action
	}{{*confirm, operate.Confirm}, {*reject, operate.Reject}, {*aside, operate.SetAside}} {
		if f.on {
			action, n = f.a, n+1
		}
	}
	if *id == 0 || n > 1 {
		return usageErrorf("queue review needs --id, and at most one of --confirm, --reject, --set-aside")
	}
	st, _, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	row, err := st.Document(ctx, *id)
	if errors.Is(err, store.ErrNotFound) {
		return usageErrorf("no document %d", *id)
	}
	if err != nil {
		return err
	}
	if n == 0 {
		return showReview(ctx, st, row, stdout)
	}
	t, err := operate.Do(ctx, st, row, operate.Request{Action: action, Actor: "user:" + currentUser(), Note: *note, Seen: *seen})
	var ref *operate.RefusedError
	switch {
	case errors.As(err, &ref):
		return usageErrorf("%s", ref.Msg)
	case errors.Is(err, store.ErrConflict):
		return fmt.Errorf("document %d changed meanwhile: look again (queue review --id %d)", row.ID, row.ID)
	case err != nil:
		return fmt.Errorf("record the decision on document %d: %w", row.ID, err)
	}
	fmt.Fprintf(stdout, "document %d: %s recorded; now %s\n", row.ID, action, t.To)
	return nil
}

// showVersions prints, side by side, the fields in which the other stored
// versions of row's uniqueId differ from it (a version-conflict review).
func showVersions(ctx context.Context, st *store.Store, row store.DocRow, w io.Writer) error {
	others, err := st.OtherVersions(ctx, row)
	if err != nil {
		return err
	}
	for _, o := range others {
		fmt.Fprintf(w, "\nother version: document %d (%s, input %d)\n", o.Row.ID, o.Row.State, o.Row.InputID)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "FIELD\tTHIS DOCUMENT (%d)\tDOCUMENT %d\n", row.ID, o.Row.ID)
		for _, d := range o.Diffs {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Field, orDash(d.A), orDash(d.B))
		}
		tw.Flush()
	}
	return nil
}

// showReview prints what a person deciding needs: reason, message, the
// candidate pairing and the diff. It shows patient data to the operator.
func showReview(ctx context.Context, st *store.Store, row store.DocRow, w io.Writer) error {
	fmt.Fprintf(w, "document %d  %s  %s/%s\n%s\n", row.ID, row.UniqueID, row.State, orDash(string(row.Reason)), row.Message)
	if row.Reason == docbridge.VersionConflict {
		if err := showVersions(ctx, st, row, w); err != nil {
			return err
		}
	}
	c, err := identity.CandidateFor(ctx, st, row.Doc)
	if err != nil {
		return err
	}
	if !c.Paired {
		fmt.Fprintf(w, "\nno single live pairing: %s\n", c.Problem)
		return nil
	}
	fmt.Fprintf(w, "\ncandidate pairing %s (MES patient %s)\n", c.Pairing.ID, c.Pairing.MESPatient)
	if len(c.Diffs) == 0 {
		fmt.Fprintln(w, "the strict traits are equal after normalisation")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRAIT\tDOCUMENT\tPAIRED")
	for _, d := range c.Diffs {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Trait, orDash(d.Document), orDash(d.Paired))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nto confirm this exact difference: docbridge queue review --id %d --confirm --diff %s --note \"…\"\n", row.ID, c.Fingerprint)
	return nil
}
