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
	"github.com/docbridge/docbridge/traits"
)

// The CSV index, as practice software exports an archive, gives each file
// its patient and its metadata. Its first line is a header naming the
// columns, in any order, in English or French (headers compare without
// case, accents or spaces: "Nom de naissance" is nom_naissance is
// birth_name); columns it does not know are ignored. The delimiter is ','
// or ';' (as the header uses); the file is UTF-8, with or without a byte
// order mark, or Windows-1252 (detected, or named by the caller).
//
//	file         fichier          the file's path relative to the archive root ('/' or '\')   required
//	ins          ins              the patient's INS (15 characters)                            required
//	ins_system   oid_ins          the INS OID, with or without "urn:oid:"; default NIR          optional
//	birth_name   nom_naissance    birth name                                                   required
//	first_names  prenoms          birth first names, space-separated                           required
//	birth_date   date_naissance   YYYY-MM-DD or DD/MM/YYYY                                     required
//	sex          sexe             M, F or U                                                    required
//	birth_place  lieu_naissance   INSEE code of the birthplace (code_insee_naissance)          required
//	type_code    code_type        the document type: a JDV_J07 code or a local code            required
//	type_system  systeme_type     the type's code system; default http://loinc.org             optional
//	creation     date_creation    YYYY-MM-DD, DD/MM/YYYY, either with a time, or ISO 8601      required
//	title        titre            the document's title                                         optional
//	author_id    auteur_rpps      the author's RPPS id (else the profile's author)             optional
//	author_name  auteur_nom       the author's name                                            optional
//
// A required column's cell may still be empty: what the document then
// lacks becomes its problem (missing-trait, missing-metadata). The row of a
// PDF without a sidecar file becomes its sidecar (see rowSidecar); the row
// of any other file is cross-checked against what the file says.

// DefaultINSSystem is the INS OID of a row that gives none: the NIR's.
const DefaultINSSystem = "urn:oid:1.2.250.1.213.1.4.8"

// IndexRow is one row of the CSV index. Problems lists what is wrong with
// it (no patient data in them); a row with problems is not joined.
type IndexRow struct {
	Line       int    // 1-based line of the row in the file
	File       string // cleaned, slash-separated, relative
	Patient    docbridge.Patient
	Type       docbridge.Coding
	Creation   string // ISO 8601: a date, or a date and time (offset only when the index gives one)
	Title      string
	AuthorID   string
	AuthorName string
	Problems   []string
}

var (
	isoDate   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	frDate    = regexp.MustCompile(`^(\d{2})/(\d{2})/(\d{4})$`)
	isoTime   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:?\d{2})?$`)
	frTime    = regexp.MustCompile(`^(\d{2})/(\d{2})/(\d{4})[ T](\d{2}):(\d{2})(?::(\d{2}))?$`)
	utf8BOM   = []byte{0xEF, 0xBB, 0xBF}
	errNoData = errors.New("the index is empty: its first line must be the header")
)

// ReadIndex reads a CSV index from r and calls fn for each data row, in
// order, problems included. charset is CharsetAuto, CharsetUTF8 or
// CharsetWindows1252; for the first two, r is read once to check (or
// detect) the character set, then again from its start. It returns an
// *IndexError when the index as a whole cannot be taken (the header lacks
// a required column, the character set is not the one given or cannot be
// detected), an error wrapping the cause when r or the CSV cannot be read,
// or fn's error. It holds one row at a time.
func ReadIndex(r io.ReadSeeker, charset string, fn func(IndexRow) error) error {
	if charset != CharsetWindows1252 {
		got, err := detectCharset(r)
		if err != nil {
			return err
		}
		if charset == CharsetUTF8 && got != CharsetUTF8 {
			return &IndexError{Msg: "the index is not valid UTF-8 (it reads as Windows-1252): give --index-charset windows-1252, or leave it out to detect"}
		}
		charset = got
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("read index: %w", err)
		}
	}
	br := bufio.NewReader(decodeIndex(r, charset))
	if b, _ := br.Peek(3); bytes.Equal(b, utf8BOM) {
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
	switch {
	case errors.Is(err, io.EOF):
		return &IndexError{Msg: errNoData.Error()}
	case err != nil:
		return fmt.Errorf("read index header: %w", err)
	}
	col, err := indexHeader(header)
	if err != nil {
		return err
	}
	width := len(header)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil { // FieldsPerRecord is -1: never ErrFieldCount
			return fmt.Errorf("read index: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if err := fn(parseRow(line, rec, col, width)); err != nil {
			return err
		}
	}
}

// parseRow checks one record; it keeps no reference to rec.
func parseRow(line int, rec []string, col map[string]int, width int) IndexRow {
	get := func(name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	row := IndexRow{Line: line}
	bad := func(format string, args ...any) { row.Problems = append(row.Problems, fmt.Sprintf(format, args...)) }
	if len(rec) < width {
		bad("the row has %d fields, the header %d", len(rec), width)
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
	p := docbridge.Patient{INS: traits.NormINS(get("ins")), BirthName: get("birth_name"), FirstNames: strings.Fields(get("first_names")),
		Sex: strings.ToUpper(get("sex")), BirthPlace: get("birth_place")}
	switch sys := get("ins_system"); {
	case sys == "":
		p.INSSystem = DefaultINSSystem
	case strings.HasPrefix(sys, "urn:oid:"):
		p.INSSystem = sys
	default:
		p.INSSystem = "urn:oid:" + sys
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
	var ok bool
	if row.Creation, ok = isoCreation(get("creation")); !ok {
		bad("creation is not a date (YYYY-MM-DD or DD/MM/YYYY, with an optional time HH:MM[:SS])")
	}
	row.Title, row.AuthorID, row.AuthorName = get("title"), get("author_id"), get("author_name")
	return row
}

// isoCreation writes a creation date or time of the index in ISO 8601; it
// reports false for a value in no accepted form. An empty value stays
// empty.
func isoCreation(s string) (string, bool) {
	switch {
	case s == "", isoDate.MatchString(s):
		return s, true
	case isoTime.MatchString(s):
		return strings.Replace(s, " ", "T", 1), true
	case frDate.MatchString(s):
		m := frDate.FindStringSubmatch(s)
		return m[3] + "-" + m[2] + "-" + m[1], true
	case frTime.MatchString(s):
		m := frTime.FindStringSubmatch(s)
		sec := m[6]
		if sec == "" {
			sec = "00"
		}
		return fmt.Sprintf("%s-%s-%sT%s:%s:%s", m[3], m[2], m[1], m[4], m[5], sec), true
	}
	return "", false
}
