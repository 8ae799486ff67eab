package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
	"github.com/docbridge/docbridge/internal/identity"
)

func runPair(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "Usage: docbridge pair list|import [flags]")
		return usageErrorf("pair needs a subcommand: list or import")
	}
	switch args[0] {
	case "list":
		return runPairList(ctx, args[1:], stdout, stderr)
	case "import":
		return runPairImport(ctx, args[1:], stdout, stderr)
	case "-h", "--help":
		fmt.Fprintln(stderr, "Usage: docbridge pair list|import [flags]")
		return nil
	}
	return usageErrorf("unknown pair subcommand %q (list, import)", args[0])
}

// runPairImport registers pairings made elsewhere (the lab's patient portal)
// from a JSON array of docbridge.Pairing. Every pairing's identity is
// checked first; an invalid one refuses the whole file.
func runPairImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("pair import", "pair import (-c FILE | --data DIR) PAIRINGS.json", stderr)
	sf := addStoreFlags(fs)
	env := fs.String("env", "", "INS environment: production or test (default: the config's, else production)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("pair import takes one PAIRINGS.json")
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return usageErrorf("read pairings: %v", err)
	}
	var ps []docbridge.Pairing
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ps); err != nil {
		return usageErrorf("pairings %s: %v", fs.Arg(0), err)
	}
	st, cfg, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if *env != "" {
		cfg.Environment = *env
	}
	ido := identityOptions(cfg)
	for i, p := range ps {
		if p.ID == "" || p.AccessToken == "" {
			return usageErrorf("pairing %d: id and accessToken are required", i)
		}
		if probs := identity.Check(p.Patient, ido); len(probs) > 0 {
			return usageErrorf("pairing %s: %s: %s", p.ID, probs[0].Code, probs[0].Message)
		}
	}
	ctx = audit.WithActor(ctx, "user:"+currentUser())
	for _, p := range ps {
		if p.CreatedAt.IsZero() {
			p.CreatedAt = time.Now().UTC()
		}
		if err := st.PutPairing(ctx, p); err != nil {
			return fmt.Errorf("store pairing %s: %w", p.ID, err)
		}
	}
	fmt.Fprintf(stdout, "imported %d pairing(s)\n", len(ps))
	return nil
}

// runPairList lists pairings without the patient's identity.
func runPairList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("pair list", "pair list (-c FILE | --data DIR)", stderr)
	sf := addStoreFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, _, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	ps, err := st.Pairings(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PAIRING\tMES PATIENT\tSTATUS\tCREATED")
	for _, p := range ps {
		status := "live"
		if p.Revoked {
			status = "revoked"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.ID, p.MESPatient, status, p.CreatedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}
