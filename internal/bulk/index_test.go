package bulk

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/charmap"

	"github.com/docbridge/docbridge"
)

const header = "file,ins,ins_system,birth_name,first_names,birth_date,sex,birth_place,type_code,creation\n"

// frHeader is a French header as practice software writes it: accents,
// spaces, capitals, another order.
const frHeader = "Fichier;Nom de naissance;Prénoms;Date de naissance;Sexe;Code INSEE naissance;INS;Code type;Date création;Titre;Auteur RPPS\n"

func cp1252(t *testing.T, s string) string {
	t.Helper()
	b, err := charmap.Windows1252.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readAll(in, charset string) ([]IndexRow, error) {
	var rows []IndexRow
	err := ReadIndex(strings.NewReader(in), charset, func(r IndexRow) error { rows = append(rows, r); return nil })
	return rows, err
}

func TestReadIndex(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantErr  bool
		want     []string // File of each row
		problems []int    // number of problems per row
	}{
		{"empty index", header, false, nil, nil},
		{"one row", header + "a/b.pdf,285047505612322,1.2.250.1.213.1.4.10,DOE,JANE ANN,1985-04-17,F,75056,11502-2,2019-03-15\n", false, []string{"a/b.pdf"}, []int{0}},
		{"semicolons and BOM", "\ufeff" + strings.ReplaceAll(header, ",", ";") + `a\b.xml;1;2;3;4;17/04/1985;m;5;6;15/03/2019 10:30` + "\n", false, []string{"a/b.xml"}, []int{0}},
		{"bad values", header + "/abs.xml,1,2,3,4,1985-4-17,X,5,6,yesterday\n", false, []string{"/abs.xml"}, []int{4}},
		{"escape", header + "../up.xml,1,2,3,4,,,,,\n", false, []string{"../up.xml"}, []int{1}},
		{"short row", header + "a.xml,1\n", false, []string{"a.xml"}, []int{1}},
		{"french header", frHeader + "a.pdf;DUPONT;JEAN;01/02/1950;M;75056;150027505600042;11502-2;2019-03-15;Bilan;810000000001\n", false, []string{"a.pdf"}, []int{0}},
		{"no ins_system column", strings.Replace(header, "ins_system,", "", 1) + "a.pdf,1,2,3,1985-04-17,F,5,6,2019-03-15\n", false, []string{"a.pdf"}, []int{0}},
		{"missing column", "file,ins\n", true, nil, nil},
		{"column twice", "file,fichier,ins\n", true, nil, nil},
		{"no header", "", true, nil, nil},
		{"not text", header + "a.pdf,\x81\x00\xff\n", true, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var files []string
			var probs []int
			rows, err := readAll(tt.in, CharsetAuto)
			for _, r := range rows {
				files = append(files, r.File)
				probs = append(probs, len(r.Problems))
			}
			if got, want := err != nil, tt.wantErr; got != want {
				t.Fatalf("ReadIndex error = %v, want error %t", err, want)
			}
			var ie *IndexError
			if err != nil && !errors.As(err, &ie) {
				t.Errorf("ReadIndex error %v is not an *IndexError (a usage error)", err)
			}
			if diff := cmp.Diff(tt.want, files); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.problems, probs); diff != "" {
				t.Errorf("problems per row (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadIndexMissingColumnListsRequired(t *testing.T) {
	_, err := readAll("fichier;ins;sexe\n", CharsetAuto)
	var ie *IndexError
	if !errors.As(err, &ie) {
		t.Fatalf("error = %v, want an *IndexError", err)
	}
	for _, c := range append(append([]string{}, IndexColumns...), IndexOptional...) {
		if !strings.Contains(ie.Msg, c) {
			t.Errorf("message %q does not name the column %s", ie.Msg, c)
		}
	}
	if strings.Contains(strings.SplitN(ie.Msg, ":", 2)[0], "sex,") {
		t.Errorf("message %q lists sex as missing though sexe is given", ie.Msg)
	}
}

func TestReadIndexCharsets(t *testing.T) {
	const row = "a.pdf;ÉLODIE-DÛ;Zoé Ève;01/02/1950;F;75056;250027505600042;11502-2;15/03/2019;Compte rendu d'échographie;\n"
	want := docbridge.Patient{INS: "250027505600042", INSSystem: DefaultINSSystem, BirthName: "ÉLODIE-DÛ",
		FirstNames: []string{"Zoé", "Ève"}, BirthDate: "1950-02-01", Sex: "F", BirthPlace: "75056"}
	tests := []struct {
		name, in, charset string
		wantErr           bool
	}{
		{"utf-8 detected", frHeader + row, CharsetAuto, false},
		{"utf-8 with BOM", "\ufeff" + frHeader + row, CharsetAuto, false},
		{"utf-8 named", frHeader + row, CharsetUTF8, false},
		{"windows-1252 detected", cp1252(t, frHeader+row), CharsetAuto, false},
		{"windows-1252 named", cp1252(t, frHeader+row), CharsetWindows1252, false},
		{"windows-1252 given as utf-8", cp1252(t, frHeader+row), CharsetUTF8, true},
		{"undefined byte", frHeader + strings.Replace(row, "Zoé", "Zo\x81", 1), CharsetAuto, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := readAll(tt.in, tt.charset)
			if tt.wantErr {
				var ie *IndexError
				if !errors.As(err, &ie) || !strings.Contains(ie.Msg, "--index-charset") {
					t.Fatalf("error = %v, want an *IndexError naming --index-charset", err)
				}
				return
			}
			if err != nil || len(rows) != 1 {
				t.Fatalf("ReadIndex = %d rows, %v; want 1 row", len(rows), err)
			}
			r := rows[0]
			if diff := cmp.Diff(want, r.Patient); diff != "" {
				t.Errorf("patient (-want +got):\n%s", diff)
			}
			if got, want := r.Title, "Compte rendu d'échographie"; got != want {
				t.Errorf("Title = %q, want %q", got, want)
			}
			if got, want := r.Creation, "2019-03-15"; got != want {
				t.Errorf("Creation = %q, want %q", got, want)
			}
		})
	}
}

func TestParseCharset(t *testing.T) {
	for in, want := range map[string]string{"": CharsetAuto, "UTF-8": CharsetUTF8, "cp1252": CharsetWindows1252, "Windows-1252": CharsetWindows1252} {
		if got, err := ParseCharset(in); err != nil || got != want {
			t.Errorf("ParseCharset(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseCharset("latin9"); err == nil || !strings.Contains(err.Error(), "utf-8 or windows-1252") {
		t.Errorf("ParseCharset(latin9) error = %v, want one naming the supported sets", err)
	}
}

func TestReadIndexNormalises(t *testing.T) {
	in := header + "x.xml,285047505612322,1.2.250.1.213.1.4.10,DOE,JANE ANN,17/04/1985,f,75056,11502-2,15/03/2019 08:05\n"
	rows, err := readAll(in, CharsetAuto)
	if err != nil || len(rows) != 1 {
		t.Fatalf("ReadIndex = %d rows, %v", len(rows), err)
	}
	got := rows[0]
	if got, want := got.Patient.BirthDate, "1985-04-17"; got != want {
		t.Errorf("BirthDate = %q, want %q", got, want)
	}
	if got, want := got.Patient.INSSystem, "urn:oid:1.2.250.1.213.1.4.10"; got != want {
		t.Errorf("INSSystem = %q, want %q", got, want)
	}
	if diff := cmp.Diff([]string{"JANE", "ANN"}, got.Patient.FirstNames); diff != "" {
		t.Errorf("FirstNames (-want +got):\n%s", diff)
	}
	if got, want := got.Creation, "2019-03-15T08:05:00"; got != want {
		t.Errorf("Creation = %q, want %q", got, want)
	}
	if got, want := got.Line, 2; got != want {
		t.Errorf("Line = %d, want %d", got, want)
	}
}

func TestHeaderKey(t *testing.T) {
	for in, want := range map[string]string{
		"Nom de naissance": "nom_de_naissance", " PRÉNOMS ": "prenoms", "date-création": "date_creation",
		"Code INSEE naissance": "code_insee_naissance", "birth_name": "birth_name", "Lieu d'naissance": "lieu_d_naissance",
	} {
		if got := headerKey(in); got != want {
			t.Errorf("headerKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzReadIndex(f *testing.F) {
	f.Add([]byte(header + "a/b.xml,285047505612322,1.2.250.1.213.1.4.10,DOE,JANE,1985-04-17,F,75056,11502-2,2019-01-01\n"))
	f.Add([]byte(strings.ReplaceAll(header, ",", ";") + "a;b;\"c\n"))
	f.Add([]byte("\ufeff" + header + "x,,,,,,,,,\n,,\n"))
	f.Add([]byte(frHeader + "a.pdf;\xc9LODIE;Zo\xe9;01/02/1950;F;75056;2;3;15/03/2019 10:30;t;\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		last := 0
		ReadIndex(strings.NewReader(string(b)), CharsetAuto, func(r IndexRow) error {
			if r.Line <= last {
				t.Fatalf("line %d after line %d", r.Line, last)
			}
			last = r.Line
			if len(r.Problems) == 0 && (r.File == "" || strings.HasPrefix(r.File, "/") || strings.HasPrefix(r.File, "../")) {
				t.Fatalf("row with file %q has no problem", r.File)
			}
			if len(r.Problems) == 0 && r.Creation != "" && !isoDate.MatchString(r.Creation[:min(10, len(r.Creation))]) {
				t.Fatalf("row without problems has creation %q, not ISO 8601", r.Creation)
			}
			return nil
		})
	})
}

// TestIndexINSForm checks that an index's INS takes the one form every
// converter gives it (traits.NormINS): a practice export that spaces the
// digits or writes Corsica's 2a in lower case matches the same pairing.
func TestIndexINSForm(t *testing.T) {
	rows, err := readAll(header+"a.pdf,2 85 04 75 056 123 22,,DOE,JANE,1985-04-17,F,75056,11502-2,2019-03-15\n"+
		"b.pdf,1 85 04 2a 056 123 22,,DOE,JOHN,1985-04-17,M,2A004,11502-2,2019-03-15\n", CharsetAuto)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Patient.INS)
	}
	if diff := cmp.Diff([]string{"285047505612322", "185042A05612322"}, got); diff != "" {
		t.Errorf("INS (-want +got):\n%s", diff)
	}
}
