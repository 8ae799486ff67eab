package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert"
	"github.com/docbridge/docbridge/internal/bulk"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes"
)

// inspection is the JSON form of one inspected file (docs/architecture.md §11), and
// the sidecar that came with it.
type inspection struct {
	File      string                `json:"file"`
	Sidecar   string                `json:"sidecar,omitempty"` // the path of the PDF's sidecar read
	Format    docbridge.Format      `json:"format,omitempty"`
	Documents []*docbridge.Document `json:"documents"`
	Problems  []docbridge.Problem   `json:"problems"`
}

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inspect", "inspect [--json] [--environment ENV] [-c FILE [--intake NAME] [--sender NAME]] FILE...\n       docbridge inspect --wire PROFILE FILE", stderr)
	asJSON := fs.Bool("json", false, "print the normalised documents as JSON, one object per file")
	wire := fs.String("wire", "", "print the exact request body of `PROFILE` (mes-api or pdsm-iti65) instead; without -c, pdsm-iti65 uses the placeholder source id 2.25.0")
	env := fs.String("environment", "", "INS environment: production or test (default: the config's, else production)")
	aliasFlag(fs, "env", "environment")
	cfgPath := fs.String("c", "", "configuration `file` (for environment, time zone, mapping overrides and source profiles)")
	intake := fs.String("intake", "", "apply the source profiles the intake `NAME` of the configuration would apply (needs -c)")
	sender := fs.String("sender", "", "with --intake, the authenticated sender `NAME` (a FHIR token's name or certificate's common name)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*intake != "" || *sender != "") && *cfgPath == "" {
		return usageErrorf("--intake and --sender choose among the configuration's profiles: give -c FILE")
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
	if err := cfg.checkProfileCodes(maps); err != nil {
		return usageErrorf("%v", err)
	}
	if *intake != "" && !slices.Contains(cfg.intakeNames(), *intake) {
		return usageErrorf("--intake: %q names no intake of %s (%s)", *intake, *cfgPath, strings.Join(cfg.intakeNames(), ", "))
	}
	// What the intake would give the converter besides the file.
	from := docbridge.Origin{Intake: *intake, Sender: *sender, Profiles: cfg.Profiles}
	o := convertOptions(cfg, maps, loc)
	ido := identityOptions(cfg)
	if *wire != "" {
		if *wire != mes.ProfileMESAPI && *wire != mes.ProfilePDSm {
			return usageErrorf("--wire: profile %q is not %s or %s", *wire, mes.ProfileMESAPI, mes.ProfilePDSm)
		}
		if fs.NArg() != 1 {
			return usageErrorf("--wire takes exactly one FILE")
		}
		return inspectWire(fs.Arg(0), from, *wire, cfg.MES.SourceID, o, stdout)
	}
	problems := false
	for _, path := range fs.Args() {
		in := inspectFile(path, from, o, ido)
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

// inspectFile converts one file with its origin, as the daemon converts a
// dropped one (from gives the intake, sender and source profiles), and
// adds the identity problems the pipeline would find before any pairing
// is involved.
func inspectFile(path string, from docbridge.Origin, o convert.Options, ido identity.Options) inspection {
	in := inspection{File: path, Documents: []*docbridge.Document{}, Problems: []docbridge.Problem{}}
	src, err := openInput(path, from)
	if err != nil {
		in.Problems = append(in.Problems, docbridge.Problem{Code: docbridge.ReasonOf(err), Severity: docbridge.SeverityError, Message: docbridge.MessageOf(err)})
		return in
	}
	defer src.Close()
	in.Sidecar = src.sidecar
	format, docs, err := convert.New(o).Convert(src.f, src.size, src.origin)
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

// input is a file opened for inspection, with its origin as the drop
// folder would give it: its base name and, for a PDF, the bytes of its
// sidecar (X.json, X.yaml or X.yml beside X.pdf, the rule of package
// sidecarname: bulk.DropSidecar).
type input struct {
	f       *os.File
	size    int64
	origin  docbridge.Origin
	sidecar string // the sidecar's path, "" for none
}

// openInput opens the file at path and reads its sidecar; its origin is
// from's with the file's name and sidecar. Its errors are
// *docbridge.Error: Malformed when the file or its sidecar cannot be read
// or the sidecar is empty, TooLarge when the sidecar is over
// docbridge.MaxSidecar.
func openInput(path string, from docbridge.Origin) (*input, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, docbridge.Errorf(docbridge.Malformed, "cannot read the file: %v", err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file", path)
	}
	if err != nil {
		f.Close()
		return nil, docbridge.Errorf(docbridge.Malformed, "cannot read the file: %v", err)
	}
	from.Name, from.Sidecar = filepath.Base(path), nil
	in := &input{f: f, size: fi.Size(), origin: from}
	if in.sidecar = bulk.DropSidecar(path); in.sidecar != "" {
		b, err := bulk.ReadSidecar(in.sidecar)
		if err != nil {
			f.Close()
			if docbridge.ReasonOf(err) == docbridge.Internal { // not classified: the file system's
				err = docbridge.Errorf(docbridge.Malformed, "cannot read the sidecar: %v", err)
			}
			return nil, err
		}
		in.origin.Sidecar = b
	}
	return in, nil
}

// content is what is sent of d: its Content, or the input itself, read
// from the file, when d is the whole input (a CDA, a PDF).
func (in *input) content(d *docbridge.Document) io.Reader {
	if d.ContentIsInput && d.Content == nil {
		return io.NewSectionReader(in.f, 0, in.size)
	}
	return bytes.NewReader(d.Content)
}

// Close closes the file.
func (in *input) Close() error { return in.f.Close() }

func hasErrors(in inspection) bool {
	if len(in.Problems) > 0 {
		return true
	}
	for _, d := range in.Documents {
		if d.Worst() != nil {
			return true
		}
	}
	return false
}

// printInspection prints a human summary. It shows metadata and problems,
// not the patient's traits: those are in --json for whoever needs them.
func printInspection(w io.Writer, in inspection) {
	side := ""
	if in.Sidecar != "" {
		side = ", sidecar " + in.Sidecar
	}
	fmt.Fprintf(w, "%s: %s, %d document(s)%s\n", in.File, orDash(string(in.Format)), len(in.Documents), side)
	for _, p := range in.Problems {
		fmt.Fprintf(w, "  %-7s %-20s %s\n", p.Severity, p.Code, p.Message)
	}
	for _, d := range in.Documents {
		fmt.Fprintf(w, "  %s  %s\n", d.UniqueID, d.Action)
		if a := d.Appointment; a != nil {
			fmt.Fprintf(w, "    appointment (%s) %s  %s – %s  %q\n", orDash(a.Event), a.Status, orDash(a.Start), orDash(a.End), a.Description)
		} else if m := d.Measurement; m != nil {
			fmt.Fprintf(w, "    measurement %s %s  %s  status %s  format %s\n", m.Profile, measureText(m), orDash(m.Effective), m.Status, orDash(d.Format))
		} else {
			fmt.Fprintf(w, "    type %s %q  class %s  format %s\n", orDash(d.Type.Code), d.Type.Display, orDash(d.Class.Code), orDash(d.Format))
		}
		fmt.Fprintf(w, "    created %s  %s  %d bytes  sha1 %s\n", orDash(d.Creation), d.ContentType, d.Size, d.SHA1)
		for _, f := range slices.Sorted(maps.Keys(d.Provenance)) {
			fmt.Fprintf(w, "    %s from %s\n", f, d.Provenance[f])
		}
		if len(d.Problems) == 0 {
			fmt.Fprintln(w, "    no problems")
		}
		for _, p := range d.Problems {
			fmt.Fprintf(w, "    %-7s %-20s %s\n", p.Severity, p.Code, p.Message)
		}
	}
}

// measureText is a measurement's value and unit, or a blood pressure's
// components; "-" for none.
func measureText(m *docbridge.Measurement) string {
	if len(m.Components) == 0 {
		return orDash(strings.TrimSpace(m.Value + " " + m.Unit))
	}
	var parts []string
	for _, c := range m.Components {
		parts = append(parts, c.Code.Code+"="+c.Value+" "+c.Unit)
	}
	return strings.Join(parts, ", ")
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
// when empty) and the current time as submission time. The file is
// converted with its origin, as inspectFile does, and a document that is
// the whole input is streamed from the file.
func inspectWire(path string, from docbridge.Origin, profile, sourceID string, o convert.Options, stdout io.Writer) error {
	src, err := openInput(path, from)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer src.Close()
	_, docs, err := convert.New(o).Convert(src.f, src.size, src.origin)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	c := mes.NewClient(mes.Options{Profile: profile, SourceID: sourceID})
	for _, d := range docs {
		if d.Kind == docbridge.KindMeasurement {
			// The Mesures Bundle, with the current IG's canonicals and a
			// placeholder for the MES person id of the pairing.
			mc := mes.NewClient(mes.Options{MeasureCanonicals: mappings.DefaultMeasureCanonicals(), SourceID: sourceID})
			b, err := mc.MeasurementBundle(d, docbridge.Pairing{MESPatient: "idpe-of-the-pairing"})
			if err != nil {
				fmt.Fprintf(stdout, "# %s is a measurement that is not sent: %s\n", d.UniqueID, docbridge.MessageOf(err))
				continue
			}
			fmt.Fprintf(stdout, "%s\n", b)
			continue
		}
		if d.Action == docbridge.Delete { // no content: its small body is said for what it is first
			var body bytes.Buffer
			if err := c.WriteBody(&body, d, nil, nil); errors.Is(err, mes.ErrNoBody) {
				fmt.Fprintf(stdout, "# %s is a delete: %s sends it without a body\n", d.UniqueID, profile)
				continue
			} else if err != nil {
				return fmt.Errorf("write %s: %w", d.UniqueID, err)
			}
			fmt.Fprintf(stdout, "# %s is a delete: %s sends this body\n", d.UniqueID, profile)
			stdout.Write(body.Bytes())
			continue
		}
		w := &lastByteWriter{w: stdout} // the body streams: a PDF's may be hundreds of megabytes
		if err := c.WriteBody(w, d, src.content(d), nil); err != nil {
			return fmt.Errorf("write %s: %w", d.UniqueID, err)
		}
		if w.last != '\n' {
			fmt.Fprintln(stdout)
		}
	}
	return nil
}

// lastByteWriter writes to w and remembers the last byte written.
type lastByteWriter struct {
	w    io.Writer
	last byte
}

func (l *lastByteWriter) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if n > 0 {
		l.last = p[n-1]
	}
	return n, err
}
