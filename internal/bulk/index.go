package bulk

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/docbridge/docbridge"
)

// The CSV index, for archives exported by practice software, maps each file
// to its patient and document type. Its first line is a header naming the
// columns, in any order; columns it does not know are ignored. The
// delimiter is ',' or ';' (as the header uses); the file is UTF-8, with or
// without a byte order mark.
//
//	file         the file's path relative to the archive root ('/' or '\')   required
//	ins          the patient's INS (15 digits)                                required column
//	ins_system   the INS OID, with or without "urn:oid:"                      required column
//	birth_name   birth name                                                   required column
//	first_names  birth first names, space-separated                           required column
//	birth_date   YYYY-MM-DD (or DD/MM/YYYY)                                   required column
//	sex          M, F or U                                                    required column
//	birth_place  INSEE code of the birthplace                                 required column
//	type_code    the document type code (LOINC)                               required column
//	type_system  the type's code system; default http://loinc.org             optional
//
// The index is validated, joined to the files (files without a row, rows
// without a file) and cross-checked against the INS each document
// carries. It fills no metadata: CDA, HL7 v2 and FHIR carry their own, and
// a PDF takes its metadata from its sidecar or its file name only — a row
// gives its patient and type, not the creation time, facility type,
// practice setting and author a PDF needs besides.

// IndexColumns are the required columns of the CSV index, in the order
// docbridge writes them.
var IndexColumns = []string{"file", "ins", "ins_system", "birth_name", "first_names", "birth_date", "sex", "birth_place", "type_code"}

// IndexRow is one row of the CSV index. Problems lists what is wrong with
// it (no patient data in them); a row with problems is not joined.
type IndexRow struct {
	Line     int    // 1-based line of the row in the file
	File     string // cleaned, slash-separated, relative
	Patient  docbridge.Patient
	Type     docbridge.Coding
	Problems []string
}

var (
	isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	frDate  = regexp.MustCompile(`^(\d{2})/(\d{2})/(\d{4})$`)
)

// ReadIndex reads a CSV index from r and calls fn for each data row, in
// order, problems included. It returns an error wrapping the cause when the
// header lacks a required column or the CSV cannot be read, or fn's error.
// It holds one row at a time.
func ReadIndex(r io.Reader, fn func(IndexRow) error) error {
	br := bufio.NewReader(r)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	first, _ := br.Peek(4096)
	if nl := bytes.IndexByte(first, '\n'); nl >= 0 {
		first = first[:nl]
	}
	cr := csv.NewReader(br)
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("read index header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	var missing []string
	for _, c := range IndexColumns {
		if _, ok := col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("read index header: missing column(s) %s", strings.Join(missing, ", "))
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil { // FieldsPerRecord is -1: never ErrFieldCount
			return fmt.Errorf("read index: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if err := fn(parseRow(line, rec, col)); err != nil {
			return err
		}
	}
}

// parseRow checks one record; it keeps no reference to rec.
func parseRow(line int, rec []string, col map[string]int) IndexRow {
	get := func(name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	row := IndexRow{Line: line}
	bad := func(format string, args ...any) { row.Problems = append(row.Problems, fmt.Sprintf(format, args...)) }
	if len(rec) < len(col) {
		bad("the row has %d fields, the header %d", len(rec), len(col))
	}
	f := strings.ReplaceAll(get("file"), `\`, "/")
	switch {
	case f == "":
		bad("file is empty")
	case path.IsAbs(f) || strings.Contains(f, ":"):
		bad("file must be relative to the archive root")
	default:
		f = path.Clean(f)
		if f == ".." || strings.HasPrefix(f, "../") {
			bad("file must stay inside the archive")
		}
	}
	row.File = f
	p := docbridge.Patient{INS: get("ins"), BirthName: get("birth_name"), FirstNames: strings.Fields(get("first_names")),
		Sex: strings.ToUpper(get("sex")), BirthPlace: get("birth_place")}
	if sys := get("ins_system"); sys != "" && !strings.HasPrefix(sys, "urn:oid:") {
		p.INSSystem = "urn:oid:" + sys
	} else {
		p.INSSystem = sys
	}
	switch d := get("birth_date"); {
	case d == "" || isoDate.MatchString(d):
		p.BirthDate = d
	case frDate.MatchString(d):
		m := frDate.FindStringSubmatch(d)
		p.BirthDate = m[3] + "-" + m[2] + "-" + m[1]
	default:
		bad("birth_date is not YYYY-MM-DD nor DD/MM/YYYY")
	}
	switch p.Sex {
	case "", "M", "F", "U":
	default:
		bad("sex is not M, F or U")
	}
	row.Patient = p
	row.Type = docbridge.Coding{System: get("type_system"), Code: get("type_code")}
	if row.Type.System == "" {
		row.Type.System = "http://loinc.org"
	}
	return row
}
