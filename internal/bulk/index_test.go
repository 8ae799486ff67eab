package bulk

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const header = "file,ins,ins_system,birth_name,first_names,birth_date,sex,birth_place,type_code\n"

func TestReadIndex(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantErr  bool
		want     []string // File of each row
		problems []int    // number of problems per row
	}{
		{"empty index", header, false, nil, nil},
		{"one row", header + "a/b.xml,285047505612322,1.2.250.1.213.1.4.10,DOE,JANE ANN,1985-04-17,F,75056,11502-2\n", false, []string{"a/b.xml"}, []int{0}},
		{"semicolons and BOM", "\ufeff" + strings.ReplaceAll(header, ",", ";") + `a\b.xml;1;2;3;4;17/04/1985;m;5;6` + "\n", false, []string{"a/b.xml"}, []int{0}},
		{"bad values", header + "/abs.xml,1,2,3,4,1985-4-17,X,5,6\n", false, []string{"/abs.xml"}, []int{3}},
		{"escape", header + "../up.xml,1,2,3,4,,,,\n", false, []string{"../up.xml"}, []int{1}},
		{"short row", header + "a.xml,1\n", false, []string{"a.xml"}, []int{1}},
		{"missing column", "file,ins\n", true, nil, nil},
		{"no header", "", true, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var files []string
			var probs []int
			err := ReadIndex(strings.NewReader(tt.in), func(r IndexRow) error {
				files = append(files, r.File)
				probs = append(probs, len(r.Problems))
				return nil
			})
			if got, want := err != nil, tt.wantErr; got != want {
				t.Fatalf("ReadIndex error = %v, want error %t", err, want)
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

func TestReadIndexNormalises(t *testing.T) {
	in := header + "x.xml,285047505612322,1.2.250.1.213.1.4.10,DOE,JANE ANN,17/04/1985,f,75056,11502-2\n"
	var got IndexRow
	ReadIndex(strings.NewReader(in), func(r IndexRow) error { got = r; return nil })
	if got, want := got.Patient.BirthDate, "1985-04-17"; got != want {
		t.Errorf("BirthDate = %q, want %q", got, want)
	}
	if got, want := got.Patient.INSSystem, "urn:oid:1.2.250.1.213.1.4.10"; got != want {
		t.Errorf("INSSystem = %q, want %q", got, want)
	}
	if diff := cmp.Diff([]string{"JANE", "ANN"}, got.Patient.FirstNames); diff != "" {
		t.Errorf("FirstNames (-want +got):\n%s", diff)
	}
	if got, want := got.Line, 2; got != want {
		t.Errorf("Line = %d, want %d", got, want)
	}
}

func FuzzReadIndex(f *testing.F) {
	f.Add([]byte(header + "a/b.xml,285047505612322,1.2.250.1.213.1.4.10,DOE,JANE,1985-04-17,F,75056,11502-2\n"))
	f.Add([]byte(strings.ReplaceAll(header, ",", ";") + "a;b;\"c\n"))
	f.Add([]byte("\ufeff" + header + "x,,,,,,,,\n,,\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		last := 0
		ReadIndex(strings.NewReader(string(b)), func(r IndexRow) error {
			if r.Line <= last {
				t.Fatalf("line %d after line %d", r.Line, last)
			}
			last = r.Line
			if len(r.Problems) == 0 && (r.File == "" || strings.HasPrefix(r.File, "/") || strings.HasPrefix(r.File, "../")) {
				t.Fatalf("row with file %q has no problem", r.File)
			}
			return nil
		})
	})
}
