package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/internal/store"
)

func runPair(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "Usage: docbridge pair list|import|revoke [flags]")
		return usageErrorf("pair needs a subcommand: list, import or revoke")
	}
	switch args[0] {
	case "list":
		return runPairList(ctx, args[1:], stdout, stderr)
	case "import":
		return runPairImport(ctx, args[1:], stdout, stderr)
	case "revoke":
		return runPairRevoke(ctx, args[1:], stdout, stderr)
	case "-h", "--help":
		fmt.Fprintln(stderr, "Usage: docbridge pair list|import|revoke [flags]")
		return nil
	}
	return usageErrorf("unknown pair subcommand %q (list, import, revoke)", args[0])
}

// runPairImport registers pairings made elsewhere (the lab's patient portal)
// from a JSON array of docbridge.Pairing. Every pairing's identity is
// checked first; an invalid one refuses the whole file. With -c it creates
// the configuration's store when serve has not yet; --data needs an
// existing store.
func runPairImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("pair import", "pair import [--environment test] (-c FILE | --data DIR) PAIRINGS.json", stderr)
	sf := addStoreFlags(fs)
	env := fs.String("environment", "", "INS environment: production or test (default: the config's, else production)")
	aliasFlag(fs, "env", "environment")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("pair import takes one PAIRINGS.json")
	}
	// The arguments are checked before the key is asked for, so that a
	// missing key never hides what is wrong with them.
	cfg, err := sf.config()
	if err != nil {
		return err
	}
	if *env != "" {
		cfg.Environment = *env
	}
	if cfg.Environment != "production" && cfg.Environment != "test" {
		return usageErrorf("pair import: --environment %q is not production or test", cfg.Environment)
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
	ido := identityOptions(cfg)
	for i, p := range ps {
		if p.ID == "" || p.AccessToken == "" {
			return usageErrorf("pairing %d: id and accessToken are required", i)
		}
		if probs := identity.Check(p.Patient, ido); len(probs) > 0 {
			return usageErrorf("pairing %s: %s: %s", p.ID, probs[0].Code, probs[0].Message)
		}
	}
	// Tokens are written: refuse to write them in clear in production.
	key, err := tokenKeyFor(cfg, stderr)
	if err != nil {
		return err
	}
	// Pairings may be imported before serve first runs: with -c the
	// configuration names serve's data directory, and the store is created
	// there when needed. --data names a store that must exist already.
	var st *store.Store
	if *sf.cfg != "" {
		st, err = store.Open(ctx, store.Options{Dir: cfg.Data, Postgres: cfg.Database, TokenKey: key})
	} else {
		st, err = openExisting(ctx, cfg, true)
	}
	if err != nil {
		return err
	}
	defer st.Close()
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
	cfg, err := sf.config()
	if err != nil {
		return err
	}
	st, err := openExisting(ctx, cfg, false) // the list shows no token: no key needed
	if err != nil {
		return err
	}
	defer st.Close()
	ps, err := st.PairingsWithoutTokens(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PAIRING\tMES PATIENT\tSTATUS\tSCOPES\tCREATED\tTOKEN EXPIRES")
	for _, p := range ps {
		status := "live"
		if p.Revoked {
			status = "revoked"
		}
		expires := "-"
		if !p.ExpiresAt.IsZero() {
			expires = p.ExpiresAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.MESPatient, status, scopesText(p), p.CreatedAt.Format(time.RFC3339), expires)
	}
	return tw.Flush()
}

// scopesText is what a pairing grants, comma-separated: documents only
// for a pairing recorded without scopes.
func scopesText(p docbridge.Pairing) string {
	if len(p.Scopes) == 0 {
		return docbridge.ScopeDocuments
	}
	return strings.Join(p.Scopes, ",")
}

// runPairRevoke marks a pairing revoked locally — no document is sent with
// it any more, and its patient's documents are held with pairing-revoked —
// then asks MES to end the grant when the configuration says where MES is
// (-c) and --local-only is not given. A failure at MES is reported (exit 1)
// but the local revocation stands.
func runPairRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("pair revoke", "pair revoke --id PAIRING [--local-only] (-c FILE | --data DIR)", stderr)
	sf := addStoreFlags(fs)
	id := fs.String("id", "", "the pairing `id` (docbridge pair list)")
	localOnly := fs.Bool("local-only", false, "do not call MES's revocation endpoint")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *id == "" {
		return usageErrorf("pair revoke needs --id")
	}
	st, cfg, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := st.Pairing(ctx, *id)
	if errors.Is(err, store.ErrNotFound) {
		return usageErrorf("no pairing %q (docbridge pair list)", *id)
	}
	if err != nil {
		return err
	}
	if !p.Revoked {
		p.Revoked = true
		if err := st.PutPairing(audit.WithActor(ctx, "user:"+currentUser()), p); err != nil {
			return fmt.Errorf("revoke pairing %s: %w", p.ID, err)
		}
	}
	fmt.Fprintf(stdout, "pairing %s revoked locally: its patient's documents are held (pairing-revoked)\n", p.ID)
	if *localOnly || cfg.Pairing.MESURL == "" {
		if !*localOnly {
			fmt.Fprintln(stdout, "MES not called: no configuration (-c) says where its pairing endpoints are")
		}
		return nil
	}
	token := p.RefreshToken
	if token == "" {
		token = p.AccessToken
	}
	hc, err := mesHTTPClient(cfg, newMetrics(cfg, st, zerolog.Nop()))
	if err != nil {
		return usageErrorf("mes.tls: %v", err)
	}
	oc, err := newPairingClient(cfg, hc)
	if err != nil {
		return err
	}
	if err := oc.Revoke(ctx, token); err != nil {
		fmt.Fprintf(stderr, "MES revocation failed (%s): %s; the pairing stays revoked here\n", docbridge.ReasonOf(err), docbridge.MessageOf(err))
		return errProblems
	}
	fmt.Fprintln(stdout, "MES revoked the pairing")
	return nil
}
