package main

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mes"
)

// mesOptions are the MES client's options of cfg, over hc: where MES is,
// which wire profile, this installation's source id, and what measurements
// need (config_mes.go).
func mesOptions(cfg *Config, hc *http.Client) mes.Options {
	return mes.Options{
		BaseURL: cfg.MES.BaseURL, UserAgent: "docbridge/" + version(), HTTPClient: hc,
		Profile: cfg.MES.Profile, SourceID: cfg.MES.SourceID,
		MeasureCanonicals: cfg.MES.measureCanonicals(), DeviceOID: cfg.MES.DeviceOID, SubjectSystem: cfg.MES.SubjectSystem,
	}
}

const mesUsage = "Usage: docbridge mes search|get --pairing ID (-c FILE | --data DIR --mes URL) [flags]   (--help on each)"

// runMES reads what MES holds for one paired patient: `mes search` lists
// the documents (ITI-67 with pdsm-iti65), `mes get` copies one out (ITI-68).
// It uses the pairing's token from the store and the configuration's MES.
func runMES(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "search":
			return runMESSearch(ctx, args[1:], stdout, stderr)
		case "get":
			return runMESGet(ctx, args[1:], stdout, stderr)
		case "-h", "--help":
			fmt.Fprintln(stderr, mesUsage)
			return nil
		}
	}
	fmt.Fprintln(stderr, mesUsage)
	if len(args) == 0 {
		return usageErrorf("mes needs a subcommand: search or get")
	}
	return usageErrorf("unknown mes subcommand %q (search, get)", args[0])
}

// mesFlags are the flags every mes subcommand takes.
type mesFlags struct {
	store   storeFlags
	pairing *string
	base    *string
	profile *string
}

func addMESFlags(fs *flag.FlagSet) mesFlags {
	return mesFlags{
		store:   addStoreFlags(fs),
		pairing: fs.String("pairing", "", "the pairing `id` whose patient's documents are read (docbridge pair list)"),
		base:    fs.String("mes", "", "the MES Documents API base `URL` (default: the configuration's mes.base_url)"),
		profile: fs.String("profile", "", "the wire `profile`, mes-api or pdsm-iti65 (default: the configuration's mes.profile)"),
	}
}

// open reads the pairing from the store and builds the MES client.
func (f mesFlags) open(ctx context.Context) (*mes.Client, docbridge.Pairing, error) {
	if *f.pairing == "" {
		return nil, docbridge.Pairing{}, usageErrorf("--pairing is required (docbridge pair list)")
	}
	st, cfg, err := f.store.open(ctx)
	if err != nil {
		return nil, docbridge.Pairing{}, err
	}
	defer st.Close()
	if *f.base != "" {
		cfg.MES.BaseURL = *f.base
	}
	if *f.profile != "" {
		cfg.MES.Profile = *f.profile
	}
	switch cfg.MES.Profile {
	case "":
		cfg.MES.Profile = mes.ProfileMESAPI
	case mes.ProfileMESAPI, mes.ProfilePDSm:
	default:
		return nil, docbridge.Pairing{}, usageErrorf("profile %q is not %s or %s", cfg.MES.Profile, mes.ProfileMESAPI, mes.ProfilePDSm)
	}
	if cfg.MES.BaseURL == "" {
		return nil, docbridge.Pairing{}, usageErrorf("where is MES? mes.base_url in the configuration (-c), or --mes URL")
	}
	p, err := st.Pairing(ctx, *f.pairing)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, docbridge.Pairing{}, usageErrorf("no pairing %q (docbridge pair list)", *f.pairing)
	case errors.Is(err, store.ErrNoTokenKey):
		return nil, docbridge.Pairing{}, usageErrorf("read pairing %s: %v", *f.pairing, err)
	case err != nil:
		return nil, docbridge.Pairing{}, fmt.Errorf("read pairing %s: %w", *f.pairing, err)
	}
	tc, err := mesTLS(cfg)
	if err != nil {
		return nil, docbridge.Pairing{}, usageErrorf("mes.tls: %v", err)
	}
	return mes.NewClient(mesOptions(cfg, mes.NewHTTPClient(tc))), p, nil
}

// runMESSearch lists the documents MES holds for the paired patient.
func runMESSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("mes search", "mes search --pairing ID [--status S,S] [--id UNIQUEID] [--type [SYSTEM|]CODE] [--json] (-c FILE | --data DIR --mes URL)", stderr)
	mf := addMESFlags(fs)
	status := fs.String("status", "current", "comma-separated `statuses`: current, superseded")
	id := fs.String("id", "", "only the document with this `uniqueId`")
	typ := fs.String("type", "", "only documents of this `type`: SYSTEM|CODE, or a LOINC code")
	asJSON := fs.Bool("json", false, "print one JSON object per document")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("mes search takes no arguments (%q)", fs.Arg(0))
	}
	q := mes.SearchQuery{UniqueID: *id, Type: typeCoding(*typ)}
	for _, s := range strings.Split(*status, ",") {
		switch s = strings.TrimSpace(s); s {
		case "current", "superseded":
			q.Status = append(q.Status, s)
		case "":
		default:
			return usageErrorf("--status: %q is not current or superseded", s)
		}
	}
	c, p, err := mf.open(ctx)
	if err != nil {
		return err
	}
	found, err := c.Search(ctx, p, q)
	if err != nil {
		return fmt.Errorf("search MES for pairing %s: %w", p.ID, err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, f := range found {
			enc.Encode(f)
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MES ID\tSTATUS\tTYPE\tCREATED\tSIZE\tUNIQUE ID\tREPLACES")
	for _, f := range found {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", f.MESID, f.Status, orDash(f.Type.Code), orDash(f.Creation), f.Size, f.UniqueID, orDash(f.Replaces))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d document(s); docbridge mes get --pairing %s UNIQUEID copies one out\n", len(found), p.ID)
	return nil
}

// typeCoding reads --type: SYSTEM|CODE, or a bare LOINC code.
func typeCoding(s string) docbridge.Coding {
	if s == "" {
		return docbridge.Coding{}
	}
	if sys, code, ok := strings.Cut(s, "|"); ok {
		return docbridge.Coding{System: sys, Code: code}
	}
	return docbridge.Coding{System: "http://loinc.org", Code: s}
}

// runMESGet copies one document out of MES: REF is its uniqueId (looked up
// with a search, whose SHA-1 the copy is checked against) or the URL a
// search printed.
func runMESGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("mes get", "mes get --pairing ID [-o FILE] (UNIQUEID | URL) (-c FILE | --data DIR --mes URL)", stderr)
	mf := addMESFlags(fs)
	out := fs.String("o", "", "write the document to this `file` (mode 0600) instead of standard output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("mes get takes one UNIQUEID or URL")
	}
	ref := fs.Arg(0)
	c, p, err := mf.open(ctx)
	if err != nil {
		return err
	}
	target, wantSHA1 := ref, ""
	if !strings.Contains(ref, "://") && !strings.HasPrefix(ref, "Binary/") {
		found, err := c.Search(ctx, p, mes.SearchQuery{UniqueID: ref, Status: []string{"current", "superseded"}})
		if err != nil {
			return fmt.Errorf("find %s at MES: %w", ref, err)
		}
		if len(found) != 1 || found[0].URL == "" {
			fmt.Fprintf(stderr, "MES has %d document(s) with uniqueId %s for pairing %s\n", len(found), ref, p.ID)
			return errProblems
		}
		target, wantSHA1 = found[0].URL, found[0].SHA1
	}

	w, finish := io.Writer(stdout), func(error) error { return nil }
	if *out != "" && *out != "-" {
		f, err := os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".part-*")
		if err != nil {
			return fmt.Errorf("write %s: %w", *out, err)
		}
		w = f
		finish = func(failed error) error {
			err := f.Close()
			if failed == nil && err == nil {
				err = os.Rename(f.Name(), *out)
			}
			if failed != nil || err != nil {
				os.Remove(f.Name())
			}
			return err
		}
	}
	h := sha1.New()
	n, err := c.Retrieve(ctx, p, target, io.MultiWriter(w, h))
	sum := hex.EncodeToString(h.Sum(nil))
	if err == nil && wantSHA1 != "" && sum != wantSHA1 {
		err = fmt.Errorf("the retrieved document's SHA-1 is %s, MES's metadata says %s", sum, wantSHA1)
	}
	if ferr := finish(err); err == nil && ferr != nil {
		err = fmt.Errorf("write %s: %w", *out, ferr)
	}
	if err != nil {
		return fmt.Errorf("retrieve %s: %w", ref, err)
	}
	msg := fmt.Sprintf("retrieved %d bytes, sha1 %s", n, sum)
	if *out != "" && *out != "-" {
		fmt.Fprintf(stdout, "%s, written to %s\n", msg, *out)
	} else {
		fmt.Fprintln(stderr, msg)
	}
	return nil
}
