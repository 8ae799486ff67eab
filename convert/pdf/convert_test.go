package pdf

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// failingReader fails every read after the first n bytes.
type failingReader struct {
	r *bytes.Reader
	n int64
}

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.n {
		return 0, errors.New("disk on fire")
	}
	return f.r.ReadAt(p, off)
}

func TestConvert(t *testing.T) {
	pdfa := readTestdata(t, "cr-bio.pdf")
	plain := readTestdata(t, "no-metadata.pdf")
	side := readTestdata(t, "cr-bio.json")
	o := testOptions(t)
	strict := o
	strict.RequirePDFA = true
	tests := []struct {
		name       string
		r          io.ReaderAt
		size       int64
		origin     docbridge.Origin
		o          Options
		wantReason docbridge.Reason // of the refusal; "" for a document without error problem
		wantMsg    string
	}{
		{"sidecar", bytes.NewReader(pdfa), int64(len(pdfa)), docbridge.Origin{Name: "x.pdf", Sidecar: side}, o, "", ""},
		{"PDF/A required and declared", bytes.NewReader(pdfa), int64(len(pdfa)), docbridge.Origin{Name: "x.pdf", Sidecar: side}, strict, "", ""},
		{"PDF/A required, not declared", bytes.NewReader(plain), int64(len(plain)), docbridge.Origin{Name: "x.pdf", Sidecar: side}, strict,
			docbridge.UnsupportedFormat, "PDF/A"},
		{"pattern in a Windows path", bytes.NewReader(plain), int64(len(plain)),
			docbridge.Origin{Name: `C:\export\285047505612322_11502-2_20250301.pdf`}, o, docbridge.MissingTrait, ""}, // the facility type is decided by convert
		{"no metadata", bytes.NewReader(plain), int64(len(plain)), docbridge.Origin{Name: "scan0001.pdf"}, o,
			docbridge.MissingMetadata, "matches no pattern"},
		{"no header", strings.NewReader("hello %%EOF"), 11, docbridge.Origin{Sidecar: side}, o, docbridge.Malformed, "not a PDF"},
		{"header after junk", strings.NewReader(strings.Repeat(" ", 1019) + "%PDF-1.7 %%EOF"), 1033, docbridge.Origin{Sidecar: side}, o, "", ""},
		{"header too far", strings.NewReader(strings.Repeat(" ", 1020) + "%PDF-1.7 %%EOF"), 1034, docbridge.Origin{Sidecar: side}, o, docbridge.Malformed, "%PDF-"},
		{"junk after the end marker", strings.NewReader("%PDF-1.7 %%EOF" + strings.Repeat("\n", 1019)), 1033, docbridge.Origin{Sidecar: side}, o, "", ""},
		{"unreadable", failingReader{bytes.NewReader(pdfa), 100}, int64(len(pdfa)), docbridge.Origin{Sidecar: side}, o, docbridge.Internal, "read the stored input"},
		{"shorter than said", bytes.NewReader(pdfa[:500]), int64(len(pdfa)), docbridge.Origin{Sidecar: side}, o, docbridge.Internal, "not the"},
		{"sidecar too big", bytes.NewReader(pdfa), int64(len(pdfa)), docbridge.Origin{Sidecar: make([]byte, docbridge.MaxSidecar+1)}, o, docbridge.TooLarge, "sidecar"},
		{"no mappings", bytes.NewReader(pdfa), int64(len(pdfa)), docbridge.Origin{Sidecar: side}, Options{}, docbridge.Internal, "Mappings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := Convert(tt.r, tt.size, tt.origin, tt.o)
			if err != nil {
				if got := docbridge.ReasonOf(err); got != tt.wantReason || !strings.Contains(docbridge.MessageOf(err), tt.wantMsg) {
					t.Fatalf("Convert: %v; want reason %q mentioning %q", err, tt.wantReason, tt.wantMsg)
				}
				return
			}
			if len(docs) != 1 {
				t.Fatalf("Convert = %d documents, want 1", len(docs))
			}
			first := docs[0].FirstError()
			switch {
			case tt.wantReason == "" && first != nil:
				t.Errorf("first error problem = %+v, want none", first)
			case tt.wantReason != "" && (first == nil || first.Code != tt.wantReason):
				t.Errorf("first error problem = %+v, want reason %q", first, tt.wantReason)
			}
		})
	}
}

// TestNoPatientDataInMessages checks that a sidecar's values and the file
// name never reach a message.
func TestNoPatientDataInMessages(t *testing.T) {
	const secret = "SECRETNAME"
	pdf := readTestdata(t, "no-metadata.pdf")
	for _, side := range []string{
		`{"patient": {"birthName": ["` + secret + `"]}}`,
		`{"patient": {"sex": "` + secret + `", "birthDate": "` + secret + `"}, "creation": "` + secret + `"}`,
		"patient:\n  birthName: [" + secret + "]\n",
		"patient:\n  firstNames: {a: " + secret + "}\n",
		"type: {system: x, code: y, " + secret + ": 1}\n",
		`{"` + secret + `": 1}`,
		`{"size": "` + secret + `"}`,
		"size: " + secret + "\n",
		"{\"title\": \"" + secret + "\"",
	} {
		docs, err := Convert(bytes.NewReader(pdf), int64(len(pdf)), docbridge.Origin{Name: secret + ".pdf", Sidecar: []byte(side)}, testOptions(t))
		var msgs []string
		if err != nil {
			msgs = append(msgs, err.Error())
		}
		for _, d := range docs {
			for _, p := range d.Problems {
				msgs = append(msgs, p.Message)
			}
		}
		for _, m := range msgs {
			if strings.Contains(m, secret) && !strings.Contains(m, "unknown field") {
				t.Errorf("sidecar %q: message quotes a value: %s", side, m)
			}
		}
	}
}

func TestParseSidecar(t *testing.T) {
	tests := []struct {
		name, in string
		check    func(*Sidecar) bool
		wantMsg  string // of a Malformed refusal
	}{
		{"json", `{"type": {"system": "http://loinc.org", "code": "11502-2"}, "patient": {"firstNames": ["A", "B"]}}`,
			func(s *Sidecar) bool { return s.Type.Code == "11502-2" && len(s.Patient.FirstNames) == 2 }, ""},
		{"json bare codes", "\xEF\xBB\xBF" + `{"type": "11502-2", "facilityType": "SA25", "patient": {"firstNames": "A B C"}}`,
			func(s *Sidecar) bool {
				return s.Type.Code == "11502-2" && s.FacilityType.Code == "SA25" && len(s.Patient.FirstNames) == 3
			}, ""},
		{"yaml", "type: 11502-2\nversionNumber: 2\npatient:\n  ins: 285047505612322\n  birthDate: 1985-04-17\n  firstNames: [A, B]\n",
			func(s *Sidecar) bool {
				return s.Type.Code == "11502-2" && s.Version == "2" && s.Patient.INS == "285047505612322" && s.Patient.BirthDate == "1985-04-17"
			}, ""},
		{"yaml size", "size: 12\n", func(s *Sidecar) bool { return s.Size != nil && *s.Size == 12 }, ""},
		{"json unknown field", `{"titel": "x"}`, nil, `unknown field "titel"`},
		{"json nested unknown field", `{"type": {"sytem": "x"}}`, nil, "unknown field"},
		{"json wrong type", `{"title": 3}`, nil, "title must not be a JSON number"},
		{"json two values", `{} {}`, nil, "more than one"},
		{"json truncated", `{"title": "x"`, nil, "ends before"},
		{"json syntax", `{"title" "x"}`, nil, "syntax error at byte"},
		{"json names", `{"patient": {"firstNames": 3}}`, nil, "firstNames"},
		{"yaml unknown field", "titel: x\n", nil, "titel"},
		{"yaml nested unknown field", "type: {sytem: x, code: y}\n", nil, "sytem"},
		{"yaml list", "- a\n- b\n", nil, "one mapping"},
		{"yaml empty", "\n", nil, "empty"},
		{"yaml two documents", "title: a\n---\ntitle: b\n", nil, "one YAML document"},
		{"yaml syntax", "title: [a\n", nil, "YAML"},
		{"yaml names", "patient:\n  firstNames: {a: b}\n", nil, "firstNames"},
		{"yaml coding", "type: [a, b]\n", nil, "mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSidecar([]byte(tt.in))
			if tt.check != nil {
				if err != nil || !tt.check(s) {
					t.Fatalf("ParseSidecar = %+v, %v", s, err)
				}
				return
			}
			if docbridge.ReasonOf(err) != docbridge.Malformed || !strings.Contains(docbridge.MessageOf(err), tt.wantMsg) {
				t.Fatalf("ParseSidecar: %v; want malformed mentioning %q", err, tt.wantMsg)
			}
		})
	}
}

// TestPDFAAcrossChunks puts the PDF/A marker across a chunk boundary, in
// both XMP spellings.
func TestPDFAAcrossChunks(t *testing.T) {
	for _, marker := range []string{`pdfaid:part="2"`, `<pdfaid:part>2</pdfaid:part>`} {
		for cut := 0; cut <= len(marker); cut++ {
			body := make([]byte, 3*chunk)
			copy(body, "%PDF-1.7\n")
			copy(body[chunk-cut:], marker)
			copy(body[len(body)-6:], "%%EOF\n")
			sc, err := scan(bytes.NewReader(body), int64(len(body)))
			if err != nil || sc.pdfa != "2" {
				t.Errorf("marker %q cut at %d: pdfa = %q, %v; want 2", marker, cut, sc.pdfa, err)
			}
		}
	}
}

func TestDerivedID(t *testing.T) {
	a, b := derivedID("sha256:1"), derivedID("sha256:2")
	if a == b || !validUniqueID(a) || derivedID("sha256:1") != a {
		t.Errorf("derivedID: %q, %q: want two stable, different UUIDs", a, b)
	}
}

func TestMappingsOverridePattern(t *testing.T) {
	dir := t.TempDir()
	patterns := `- name: lab
  pattern: "{ins}_{birthName}_{firstNames}_{birthDate}_{sex}_{birthPlace}_{type}_{date}.pdf"
  insSystem: 1.2.250.1.213.1.4.10
  facilityType: {system: "1.2.250.1.71.4.2.4", code: SA25}
  practiceSetting: {system: "1.2.250.1.213.1.1.4.9", code: AMBULATOIRE}
  author: {id: "899700000011", system: "1.2.250.1.71.4.2.1", name: "Claire EXEMPLE-BIOLOGISTE"}
  custodian: {id: "1999999901", system: "1.2.250.1.71.4.2.2", name: "Laboratoire docbridge (fictif)"}
`
	if err := os.WriteFile(filepath.Join(dir, mappings.FilenamePatternsFile), []byte(patterns), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := mappings.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	o := testOptions(t)
	o.Mappings = m
	pdf := readTestdata(t, "no-metadata.pdf")
	name := "285047505612322_DOCBRIDGE-TEST_CAMILLE+MARIE-ANNE_19850417_F_75056_11502-2_202503011030.pdf"
	docs, err := Convert(bytes.NewReader(pdf), int64(len(pdf)), docbridge.Origin{Name: name}, o)
	if err != nil {
		t.Fatal(err)
	}
	d := docs[0]
	if p := d.FirstError(); p != nil {
		t.Errorf("FirstError = %+v, want none", p)
	}
	want := docbridge.Patient{INS: "285047505612322", INSSystem: "urn:oid:1.2.250.1.213.1.4.10", BirthName: "DOCBRIDGE-TEST",
		FirstNames: []string{"CAMILLE", "MARIE-ANNE"}, BirthDate: "1985-04-17", Sex: "F", BirthPlace: "75056"}
	if got := d.Patient; got.INS != want.INS || got.INSSystem != want.INSSystem || got.BirthName != want.BirthName ||
		strings.Join(got.FirstNames, " ") != "CAMILLE MARIE-ANNE" || got.BirthDate != want.BirthDate || got.Sex != want.Sex || got.BirthPlace != want.BirthPlace {
		t.Errorf("Patient = %+v, want %+v", got, want)
	}
	if d.Creation != "2025-03-01T10:30:00+00:00" || d.FacilityType.Code != "SA25" || len(d.Authors) != 1 || d.Custodian == nil {
		t.Errorf("document = %+v", d)
	}
}
