package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/operate"
	"github.com/docbridge/docbridge/internal/pipeline"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mappings"
)

// runQueueReconvert converts again, with what the configuration gives
// now, the inputs whose documents stopped for missing-metadata,
// unmapped-code or profile-invalid, and the inputs refused as a whole for
// those reasons: the selectors, the count shown first and the confirmation
// are queue retry's. Each input's stopped documents are superseded by
// their new versions, which the daemon matches and delivers; documents
// that moved on are untouched. It exits 1 when an input gave the same
// outcome again (the cause is not fixed).
func runQueueReconvert(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("queue reconvert", "queue reconvert [--id N]... [--input N]... [--reason R] [--intake I] [--since T] [--until T] [--max N] [--yes] [--dry-run] -c FILE\n\n"+
		"Converts again, with the mappings and source profiles configured now (and the input's stored sidecar), the inputs whose documents\n"+
		"stopped for missing-metadata, unmapped-code or profile-invalid (or that were refused as a whole for one of\n"+
		"them), once the cause is fixed. The stopped documents are superseded by their new versions, which the daemon\n"+
		"delivers; documents that moved on are left as they are. -c is required: the conversion is the configuration's.", stderr)
	sf := addStoreFlags(fs)
	sel := addSelector(fs)
	var inputs idList
	fs.Var(&inputs, "input", "only this input `id` (repeatable; an input refused as a whole has no document id)")
	maxN := fs.Int("max", 100, "ask for confirmation above this many inputs")
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	dry := fs.Bool("dry-run", false, "show what would be converted again, convert nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *sf.cfg == "" {
		return usageErrorf("queue reconvert needs -c FILE: it converts with the configured mappings and source profiles")
	}
	if len(inputs) == 0 { // --input alone needs no other criterion
		if _, _, err := sel.check(time.Now()); err != nil {
			return err
		}
	}
	st, cfg, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	picked, err := pickReconvert(ctx, st, sel, inputs)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d input(s) to convert again%s\n", len(picked.ids), picked.summary())
	if len(picked.ids) == 0 || *dry {
		return nil
	}
	if len(picked.ids) > *maxN && !*yes {
		if !confirm(stdin, stdout, fmt.Sprintf("convert %d inputs again? [y/N] ", len(picked.ids))) {
			return usageErrorf("not confirmed: %d inputs is above --max %d (add --yes to proceed)", len(picked.ids), *maxN)
		}
	}
	p, err := reconverter(cfg, st)
	if err != nil {
		return err
	}
	actor := "user:" + currentUser()
	same := 0
	for _, id := range picked.ids {
		res, err := operate.ReconvertInput(ctx, p, actor, id)
		switch {
		case errors.Is(err, store.ErrConflict):
			fmt.Fprintf(stderr, "input %d changed meanwhile: nothing of it is stopped for a reason a new conversion can change; left as it is\n", id)
			continue
		case err != nil:
			return fmt.Errorf("reconvert input %d: %w", id, err)
		}
		fmt.Fprintf(stdout, "input %d: %s\n", id, reconversionText(res))
		if res.Unchanged {
			same++
		}
	}
	if same > 0 {
		return fmt.Errorf("%d input(s) gave the same outcome again: fix the cause (sidecar, mappings, source profile) and run this again", same)
	}
	return nil
}

// reconversionText says what a reconversion did, for a person.
func reconversionText(res store.Reconversion) string {
	switch {
	case res.Unchanged && res.Reason != "":
		return fmt.Sprintf("refused again as a whole: %s: %s", res.Reason, res.Message)
	case res.Unchanged:
		return "converted again with the same outcome: nothing changed"
	}
	var parts []string
	for _, r := range res.Docs {
		if r.Existing {
			continue
		}
		s := fmt.Sprintf("document %d %s", r.ID, r.State)
		if r.Reason != "" {
			s += "/" + string(r.Reason)
		}
		parts = append(parts, s)
	}
	return fmt.Sprintf("converted again: %s; superseded %s", strings.Join(parts, ", "), idsText(res.Superseded))
}

func idsText(ids []int64) string {
	if len(ids) == 0 {
		return "none"
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return "document(s) " + strings.Join(s, ", ")
}

// reconvertPick is what queue reconvert selected: input ids, and what
// stopped in them for the summary.
type reconvertPick struct {
	ids    []int64
	docs   []store.DocRow
	wholes []store.Input
}

func (p reconvertPick) summary() string {
	s := ""
	if len(p.docs) > 0 {
		s = fmt.Sprintf(" (%d document(s)%s)", len(p.docs), summary(p.docs))
	}
	if len(p.wholes) > 0 {
		counts := map[docbridge.Reason]int{}
		for _, in := range p.wholes {
			counts[in.Reason]++
		}
		var parts []string
		for r, n := range counts {
			parts = append(parts, fmt.Sprintf("%d %s", n, r))
		}
		slices.Sort(parts)
		s += fmt.Sprintf(" (%d refused as a whole: %s)", len(p.wholes), strings.Join(parts, ", "))
	}
	return s
}

// pickReconvert selects the inputs to convert again: those of the
// stopped documents sel picks, and the inputs refused as a whole for a
// reconvertible reason that match --input, --reason, --intake and the
// time range (on their reception).
func pickReconvert(ctx context.Context, st *store.Store, sel *selector, inputs idList) (reconvertPick, error) {
	var p reconvertPick
	seen := map[int64]bool{}
	add := func(id int64) {
		if !seen[id] {
			seen[id] = true
			p.ids = append(p.ids, id)
		}
	}
	onlyInputs := len(inputs) > 0 && len(sel.ids) == 0 && *sel.reason == "" && *sel.intake == "" && *sel.since == "" && *sel.until == ""
	if !onlyInputs {
		rows, err := sel.match(ctx, st, operate.Reconvert)
		if err != nil {
			return p, err
		}
		for _, r := range rows {
			if len(inputs) == 0 || slices.Contains(inputs, r.InputID) {
				p.docs = append(p.docs, r)
				add(r.InputID)
			}
		}
	}
	if len(sel.ids) == 0 {
		wholes, err := st.StoppedInputs(ctx)
		if err != nil {
			return p, err
		}
		var since, until time.Time
		if *sel.since != "" {
			since, _ = parseWhen(*sel.since, time.Now()) // checked by match
		}
		if *sel.until != "" {
			until, _ = parseWhen(*sel.until, time.Now())
		}
		for _, in := range wholes {
			switch {
			case len(inputs) > 0 && !slices.Contains(inputs, in.ID),
				*sel.reason != "" && string(in.Reason) != *sel.reason,
				*sel.intake != "" && in.Intake != *sel.intake,
				!since.IsZero() && in.ReceivedAt.Before(since),
				!until.IsZero() && !in.ReceivedAt.Before(until):
				continue
			}
			p.wholes = append(p.wholes, in)
			add(in.ID)
		}
	}
	slices.Sort(p.ids)
	return p, nil
}

// reconverter is a pipeline that only converts: the configuration's
// converter, source profiles and checks, over st, for Pipeline.Reconvert.
// Matching and delivery stay with the daemon.
func reconverter(cfg *Config, st *store.Store) (*pipeline.Pipeline, error) {
	maps, err := mappings.Load(cfg.Mappings.OverrideDir)
	if err != nil {
		return nil, usageErrorf("mappings: %v", err)
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, usageErrorf("timezone: %v", err)
	}
	return newPipeline(cfg, st, pipelineParts{convert: convertOptions(cfg, maps, loc), profiles: cfg.Profiles}, zerolog.Nop()), nil
}
