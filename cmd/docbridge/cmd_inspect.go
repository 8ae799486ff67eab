package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes"
)

// inspection is the JSON form of one inspected file (DESIGN.md §7).
type inspection struct {
	File      string                `json:"file"`
	Format    docbridge.Format      `json:"format,omitempty"`
	Documents []*docbridge.Document `json:"documents"`
	Problems  []docbridge.Problem   `json:"problems"`
}

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inspect", "inspect [--json] [--env ENV] [-c FILE] FILE...\n       docbridge inspect --wire PROFILE FILE", stderr)
	asJSON := fs.Bool("json", false, "print the normalised documents as JSON, one object per file")
	wire := fs.String("wire", "", "print the exact request body of `PROFILE` (mes-api or pdsm-iti65) instead; without -c, pdsm-iti65 uses the placeholder source id 2.25.0")
	env := fs.String("env", "", "INS environment: production or test (default: the config's, else production)")
	cfgPath := fs.String("c", "", "configuration `file` (for environment, time zone and mapping overrides)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageErrorf("inspect needs at least one FILE")
	}
	cfg := &Config{Environment: "production", TimeZone: "Europe/Paris"}
	if *cfgPath != "" {
		var err error
		if cfg, err = loadConfig(*cfgPath); err != nil {
			return err
		}
	}
	if *env != "" {
		cfg.Environment = *env
	}
	if cfg.Environment != "production" && cfg.Environment != "test" {
		return usageErrorf("--env: %q is not production or test", cfg.Environment)
	}
	maps, err := mappings.Load(cfg.Mappings.OverrideDir)
	if err != nil {
		return usageErrorf("mappings: %v", err)
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return usageErrorf("timezone: %v", err)
	}
	o := convertOptions(cfg, maps, loc)
	ido := identityOptions(cfg)
	if *wire != "" {
		if *wire != mes.ProfileMESAPI && *wire != mes.ProfilePDSm {
			return usageErrorf("--wire: profile %q is not %s or %s", *wire, mes.ProfileMESAPI, mes.ProfilePDSm)
		}
		if fs.NArg() != 1 {
			return usageErrorf("--wire takes exactly one FILE")
		}
		return inspectWire(fs.Arg(0), *wire, cfg.MES.SourceID, o, stdout)
	}
	problems := false
	for _, path := range fs.Args() {
		in := inspectFile(path, o, ido)
		problems = problems || hasErrors(in)
		if *asJSON {
			b, _ := json.MarshalIndent(in, "", "  ")
			fmt.Fprintf(stdout, "%s\n", b)
		} else {
			printInspection(stdout, in)
		}
	}
	if problems {
		return errProblems
	}
	return nil
}

// inspectFile converts one file and adds the identity problems the
// pipeline would find before any pairing is involved.
func inspectFile(path string, o convert.Options, ido identity.Options) inspection {
	in := inspection{File: path, Documents: []*docbridge.Document{}, Problems: []docbridge.Problem{}}
	raw, err := os.ReadFile(path)
	if err != nil {
		in.Problems = append(in.Problems, docbridge.Problem{Code: docbridge.Malformed, Severity: docbridge.SeverityError, Message: "cannot read the file: " + err.Error()})
		return in
	}
	format, docs, err := convert.Convert(raw, o)
	in.Format = format
	if err != nil {
		in.Problems = append(in.Problems, docbridge.Problem{Code: docbridge.ReasonOf(err), Severity: docbridge.SeverityError, Message: docbridge.MessageOf(err)})
		return in
	}
	for _, d := range docs {
		d.Problems = append(d.Problems, identity.CheckDocument(d, ido)...)
		if d.Problems == nil {
			d.Problems = []docbridge.Problem{}
		}
	}
	in.Documents = docs
	return in
}

func hasErrors(in inspection) bool {
	if len(in.Problems) > 0 {
		return true
	}
	for _, d := range in.Documents {
		if d.FirstError() != nil {
			return true
		}
	}
	return false
}

// printInspection prints a human summary. It shows metadata and problems,
// not the patient's traits: those are in --json for whoever needs them.
func printInspection(w io.Writer, in inspection) {
	fmt.Fprintf(w, "%s: %s, %d document(s)\n", in.File, orDash(string(in.Format)), len(in.Documents))
	for _, p := range in.Problems {
		fmt.Fprintf(w, "  %-7s %-20s %s\n", p.Severity, p.Code, p.Message)
	}
	for _, d := range in.Documents {
		fmt.Fprintf(w, "  %s  %s\n", d.UniqueID, d.Action)
		fmt.Fprintf(w, "    type %s %q  class %s  format %s\n", orDash(d.Type.Code), d.Type.Display, orDash(d.Class.Code), orDash(d.Format))
		fmt.Fprintf(w, "    created %s  %s  %d bytes  sha1 %s\n", orDash(d.Creation), d.ContentType, d.Size, d.SHA1)
		if len(d.Problems) == 0 {
			fmt.Fprintln(w, "    no problems")
		}
		for _, p := range d.Problems {
			fmt.Fprintf(w, "    %-7s %-20s %s\n", p.Severity, p.Code, p.Message)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// inspectWire prints the exact body of each document of a file in profile
// (mes-api or pdsm-iti65), with the placeholder patient reference (no
// pairing is looked up) and, for pdsm-iti65, sourceID (the placeholder
// when empty) and the current time as submission time.
func inspectWire(path, profile, sourceID string, o convert.Options, stdout io.Writer) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	_, docs, err := convert.Convert(raw, o)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, d := range docs {
		if profile == mes.ProfilePDSm {
			if d.Action == docbridge.Delete {
				fmt.Fprintf(stdout, "# %s is a delete: pdsm-iti65 sends this FHIRPath Patch as a conditional PATCH on its identifier\n", d.UniqueID)
			}
			if err := mes.WriteBundle(stdout, d, bytes.NewReader(d.Content), nil, mes.BundleOptions{SourceID: sourceID}); err != nil {
				return fmt.Errorf("write %s: %w", d.UniqueID, err)
			}
			continue
		}
		err := mes.WriteDocumentReference(stdout, d, bytes.NewReader(d.Content), nil)
		if errors.Is(err, mes.ErrNoBody) {
			fmt.Fprintf(stdout, "# %s is a delete: mes-api sends it without a body\n", d.UniqueID)
			continue
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", d.UniqueID, err)
		}
		fmt.Fprintln(stdout)
	}
	return nil
}
