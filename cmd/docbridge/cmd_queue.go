package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/operate"
	"github.com/docbridge/docbridge/internal/store"
)

func runQueue(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "retry":
			return runQueueAction(ctx, operate.Retry, args[1:], os.Stdin, stdout, stderr)
		case "release":
			return runQueueAction(ctx, operate.Release, args[1:], os.Stdin, stdout, stderr)
		case "review":
			return runQueueReview(ctx, args[1:], stdout, stderr)
		case "reconvert":
			return runQueueReconvert(ctx, args[1:], os.Stdin, stdout, stderr)
		}
	}
	if len(args) == 0 || args[0] != "list" {
		fmt.Fprintln(stderr, "Usage: docbridge queue list|retry|release|review|reconvert [flags]   (--help on each)")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return usageErrorf("queue needs a subcommand: list, retry, release, review or reconvert")
	}
	fs := newFlags("queue list", "queue list [--state S] [--reason R] [--json] (-c FILE | --data DIR)", stderr)
	sf := addStoreFlags(fs)
	state := fs.String("state", "", "only documents in this `state`")
	reason := fs.String("reason", "", "only documents with this `reason`")
	asJSON := fs.Bool("json", false, "print JSON lines")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	st, _, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := st.Documents(ctx, store.Filter{State: docbridge.State(*state), Reason: docbridge.Reason(*reason)})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, r := range rows {
			enc.Encode(queueLine{r.ID, r.InputID, r.UniqueID, kindOf(r).String(), r.State, r.Reason, r.Message, r.Attempts, r.MESID, r.UpdatedAt})
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DOC\tINPUT\tKIND\tSTATE\tREASON\tATTEMPTS\tUPDATED\tUNIQUE ID")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, r.InputID, kindOf(r), r.State, orDash(string(r.Reason)), r.Attempts, r.UpdatedAt.Format(time.RFC3339), r.UniqueID)
	}
	return tw.Flush()
}

// kindOf is what a row carries: a document, a measurement…
func kindOf(r store.DocRow) docbridge.Kind {
	if r.Doc == nil {
		return docbridge.KindDocument
	}
	return r.Doc.Kind
}

// queueLine is one document in `queue list --json`.
type queueLine struct {
	ID       int64            `json:"id"`
	Input    int64            `json:"input"`
	UniqueID string           `json:"uniqueId"`
	Kind     string           `json:"kind"` // document, measurement, appointment
	State    docbridge.State  `json:"state"`
	Reason   docbridge.Reason `json:"reason,omitempty"`
	Message  string           `json:"message,omitempty"`
	Attempts int              `json:"attempts"`
	MESID    string           `json:"mesId,omitempty"`
	Updated  time.Time        `json:"updated"`
}
