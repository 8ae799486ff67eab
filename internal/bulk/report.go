package bulk

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/docbridge/docbridge"
)

// Refusal is one listed item of a report: a file or document that will not
// reach MES by itself, or a row of the index that is wrong or has no file.
type Refusal struct {
	Path    string           `json:"path"`
	Outcome Outcome          `json:"outcome"`
	Reason  docbridge.Reason `json:"reason,omitempty"`
	Message string           `json:"message"`
}

// Invitee is a patient with documents but no pairing: someone to invite to
// pair their MES account. It is patient data.
type Invitee struct {
	INS, INSSystem, BirthName, FirstNames, BirthDate, Sex, BirthPlace string
	Documents                                                         int
}

// Refusals streams the listed items, by path. A read error stops the
// sequence and is returned by Err.
func (r *Result) Refusals(ctx context.Context) iter.Seq[Refusal] {
	return func(yield func(Refusal) bool) {
		rows, err := r.s.db.QueryContext(ctx, `SELECT path, outcome, reason, message FROM refusals ORDER BY path, outcome, id`)
		if err != nil {
			r.err = fmt.Errorf("scratch: list refusals: %w", err)
			return
		}
		defer rows.Close()
		for rows.Next() {
			var f Refusal
			if err := rows.Scan(&f.Path, &f.Outcome, &f.Reason, &f.Message); err != nil {
				r.err = fmt.Errorf("scratch: list refusals: %w", err)
				return
			}
			if !yield(f) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			r.err = fmt.Errorf("scratch: list refusals: %w", err)
		}
	}
}

// Invitees streams the patients without a pairing, by name.
func (r *Result) Invitees(ctx context.Context) iter.Seq[Invitee] {
	return func(yield func(Invitee) bool) {
		rows, err := r.s.db.QueryContext(ctx, `SELECT ins, ins_system, birth_name, first_names, birth_date, sex, birth_place, docs
	FROM patients WHERE paired = 0 ORDER BY birth_name, first_names, ins`)
		if err != nil {
			r.err = fmt.Errorf("scratch: list patients: %w", err)
			return
		}
		defer rows.Close()
		for rows.Next() {
			var p Invitee
			if err := rows.Scan(&p.INS, &p.INSSystem, &p.BirthName, &p.FirstNames, &p.BirthDate, &p.Sex, &p.BirthPlace, &p.Documents); err != nil {
				r.err = fmt.Errorf("scratch: list patients: %w", err)
				return
			}
			if !yield(p) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			r.err = fmt.Errorf("scratch: list patients: %w", err)
		}
	}
}

// DocumentRow is one document of a report: where it ends (with the
// message of its reason, and why the run disagrees with the dry run when
// it does) and which of its fields did not come from the file
// (Document.Provenance).
type DocumentRow struct {
	Path       string            `json:"path"`
	UniqueID   string            `json:"uniqueId"`
	Outcome    Outcome           `json:"outcome"`
	Reason     docbridge.Reason  `json:"reason,omitempty"`
	Message    string            `json:"message,omitempty"`
	Provenance map[string]string `json:"provenance,omitempty"`
}

// Documents streams the documents, by path. A read error stops the
// sequence and is returned by Err.
func (r *Result) Documents(ctx context.Context) iter.Seq[DocumentRow] {
	return func(yield func(DocumentRow) bool) {
		rows, err := r.s.db.QueryContext(ctx, `SELECT path, unique_id, outcome, reason, message, provenance FROM documents ORDER BY path, id`)
		if err != nil {
			r.err = fmt.Errorf("scratch: list documents: %w", err)
			return
		}
		defer rows.Close()
		for rows.Next() {
			var d DocumentRow
			var prov string
			if err := rows.Scan(&d.Path, &d.UniqueID, &d.Outcome, &d.Reason, &d.Message, &prov); err != nil {
				r.err = fmt.Errorf("scratch: list documents: %w", err)
				return
			}
			if prov != "" {
				json.Unmarshal([]byte(prov), &d.Provenance) // written by record from a map of strings
			}
			if !yield(d) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			r.err = fmt.Errorf("scratch: list documents: %w", err)
		}
	}
}

// Err returns the first error met by Refusals or Invitees, and clears it.
func (r *Result) Err() error {
	err := r.err
	r.err = nil
	return err
}

// WriteJSON writes {"summary": …, "refusals": [...], "documents": [...]},
// streaming the refusals and the documents (with their provenance).
func (r *Result) WriteJSON(ctx context.Context, w io.Writer) error {
	sum, err := json.MarshalIndent(r.Summary, "  ", "  ")
	if err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	fmt.Fprintf(w, "{\n  \"summary\": %s,\n  \"refusals\": [", sum)
	sep := "\n    "
	for f := range r.Refusals(ctx) {
		b, _ := json.Marshal(f)
		if _, err := fmt.Fprintf(w, "%s%s", sep, b); err != nil {
			return err
		}
		sep = ",\n    "
	}
	io.WriteString(w, "\n  ],\n  \"documents\": [")
	sep = "\n    "
	for d := range r.Documents(ctx) {
		b, _ := json.Marshal(d)
		if _, err := fmt.Fprintf(w, "%s%s", sep, b); err != nil {
			return err
		}
		sep = ",\n    "
	}
	if _, err := io.WriteString(w, "\n  ]\n}\n"); err != nil {
		return err
	}
	return r.Err()
}

// CSVHeader is the header of the CSV report: one row per count (section
// outcome, outcome-reason, reason, type, year, format, patients, index,
// files) and one per refusal (section refusal, with path and message).
var CSVHeader = []string{"section", "key", "reason", "count", "path", "message"}

// WriteCSV writes the CSV report.
func (r *Result) WriteCSV(ctx context.Context, w io.Writer) error {
	cw := csv.NewWriter(w)
	s := r.Summary
	cw.Write(CSVHeader)
	count := func(section, key, reason string, n int) {
		cw.Write([]string{section, key, reason, strconv.Itoa(n), "", ""})
	}
	count("files", "mode:"+s.Mode, "", s.Files)
	count("files", "sidecars", "", s.Sidecars)
	count("files", "items", "", s.Items)
	for _, k := range sortedKeys(s.Outcomes) {
		count("outcome", string(k), "", s.Outcomes[k])
	}
	for _, c := range s.ByReason {
		count("outcome-reason", string(c.Outcome), string(c.Reason), c.N)
	}
	for _, k := range sortedKeys(s.Types) {
		count("type", k, "", s.Types[k])
	}
	for _, k := range sortedKeys(s.Years) {
		count("year", k, "", s.Years[k])
	}
	for _, k := range sortedKeys(s.Formats) {
		count("format", string(k), "", s.Formats[k])
	}
	count("patients", "total", "", s.Patients.Total)
	count("patients", "paired", "", s.Patients.Paired)
	count("patients", "unpaired", "", s.Patients.Unpaired)
	if ix := s.Index; ix != nil {
		count("index", "rows", "", ix.Rows)
		count("index", "invalid", "", ix.Invalid)
		count("index", "joined", "", ix.Joined)
		count("index", "files-without-row", "", ix.FilesWithoutRow)
		count("index", "rows-without-file", "", ix.RowsWithoutFile)
		count("index", "ins-disagree", "", ix.INSDisagree)
	}
	for f := range r.Refusals(ctx) {
		cw.Write([]string{"refusal", string(f.Outcome), string(f.Reason), "1", f.Path, f.Message})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return r.Err()
}

// InvitationHeader is the header of invitations.csv.
var InvitationHeader = []string{"ins", "ins_system", "birth_name", "first_names", "birth_date", "sex", "birth_place", "documents"}

// WriteInvitations writes the patients without a pairing as CSV.
func (r *Result) WriteInvitations(ctx context.Context, w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(InvitationHeader)
	for p := range r.Invitees(ctx) {
		cw.Write([]string{p.INS, strings.TrimPrefix(p.INSSystem, "urn:oid:"), p.BirthName, p.FirstNames, p.BirthDate, p.Sex, p.BirthPlace, strconv.Itoa(p.Documents)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return r.Err()
}

// WriteReport writes the report to file in the format of its extension
// (.html, .json or .csv) and the invitations beside it
// (NAME-invitations.csv, .html and .pdf). Both are written 0600: they hold patient data.
func (r *Result) WriteReport(ctx context.Context, file string) error {
	var write func(context.Context, io.Writer) error
	switch strings.ToLower(filepath.Ext(file)) {
	case ".html", ".htm":
		write = r.WriteHTML
	case ".json":
		write = r.WriteJSON
	case ".csv":
		write = r.WriteCSV
	default:
		return fmt.Errorf("report %s: the extension must be .html, .json or .csv", file)
	}
	if err := writeFile(file, func(w io.Writer) error { return write(ctx, w) }); err != nil {
		return err
	}
	inv := strings.TrimSuffix(file, filepath.Ext(file)) + "-invitations"
	if err := writeFile(inv+".csv", func(w io.Writer) error { return r.WriteInvitations(ctx, w) }); err != nil {
		return err
	}
	if err := writeFile(inv+".html", func(w io.Writer) error { return r.WriteInvitationsHTML(ctx, w) }); err != nil {
		return err
	}
	return writeFile(inv+".pdf", func(w io.Writer) error { return r.WriteInvitationsPDF(ctx, w) })
}

// ReportFiles are the files WriteReportDir writes.
var ReportFiles = []string{"report.html", "report.json", "report.csv", "invitations.csv", "invitations.html", "invitations.pdf"}

// WriteReportDir writes report.html, report.json, report.csv,
// invitations.csv, invitations.html and invitations.pdf into dir (created
// 0700), each 0600.
func (r *Result) WriteReportDir(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create report directory: %w", err)
	}
	for _, f := range []struct {
		name  string
		write func(context.Context, io.Writer) error
	}{{"report.html", r.WriteHTML}, {"report.json", r.WriteJSON}, {"report.csv", r.WriteCSV}, {"invitations.csv", r.WriteInvitations},
		{"invitations.html", r.WriteInvitationsHTML}, {"invitations.pdf", r.WriteInvitationsPDF}} {
		if err := writeFile(filepath.Join(dir, f.name), func(w io.Writer) error { return f.write(ctx, w) }); err != nil {
			return err
		}
	}
	return nil
}

// writeFile writes a 0600 file through a temporary file and a rename.
func writeFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

func sortedKeys[K ~string](m map[K]int) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
