package bulk

import (
	"bytes"
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/samples"
)

// practice is the practice profile of these tests.
var practice = &docbridge.Profile{
	Name: "practice-profile", FacilityType: "SA07", PracticeSetting: "AMBULATOIRE",
	Custodian: &docbridge.ProfileOrg{ID: "1.2.250.1.71.4.2.2^1999999902", Name: "Cabinet (fictif)"},
	Author:    &docbridge.ProfileAuthor{ID: "810000000001", Name: "Dr Jean EXEMPLE", Specialty: "G15_10/SM54"},
}

// samplePatient is the paired patient of samples/pairings.json.
var samplePatient = docbridge.Patient{INS: "285047505612322", INSSystem: "urn:oid:1.2.250.1.213.1.4.10", BirthName: "DOCBRIDGE-TEST",
	FirstNames: []string{"CAMILLE", "MARIE-ANNE"}, BirthDate: "1985-04-17", Sex: "F", BirthPlace: "75056"}

// specialtySystem is the code system of the test profile's specialty.
func specialtySystem(vs, code string) string {
	if vs == "JDV_J01" && code == "G15_10/SM54" {
		return "urn:oid:1.2.250.1.213.1.1.4.5"
	}
	return ""
}

func realConverter(t *testing.T) Converter {
	t.Helper()
	maps, err := mappings.Load("")
	if err != nil {
		t.Fatal(err)
	}
	return convert.New(convert.Options{Mappings: maps})
}

func samplePDF(t *testing.T) []byte {
	t.Helper()
	b, err := fs.ReadFile(samples.FS, "cr-bio-sidecar.pdf")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRowSidecar converts a PDF with the sidecar its index row gives, with
// and without the practice profile: the row gives the patient, type,
// creation and title (and the author when it names one), the profile the
// rest; Document.Provenance says which came from where; a row's author
// wins over the profile's.
func TestRowSidecar(t *testing.T) {
	conv := realConverter(t)
	row := IndexRow{Line: 7, File: "a.pdf", Patient: samplePatient, Type: docbridge.Coding{System: "http://loinc.org", Code: "11488-4"},
		Creation: "2019-03-15T10:30:00", Title: "Consultation"}
	withAuthor := row
	withAuthor.AuthorID, withAuthor.AuthorName = "810000000002", "Dr Élise REMPLAÇANTE"
	tests := []struct {
		name       string
		row        IndexRow
		profile    *docbridge.Profile
		author     string
		provenance map[string]string
		problems   []docbridge.Reason // errors on the document
	}{
		{"row and profile", row, practice, "810000000001", map[string]string{
			"patient": "index:7", "type": "index:7", "creation": "index:7", "title": "index:7",
			"facilityType": "profile:practice-profile", "practiceSetting": "profile:practice-profile",
			"custodian": "profile:practice-profile", "authors": "profile:practice-profile"}, nil},
		{"the row's author wins", withAuthor, practice, "810000000002", map[string]string{
			"patient": "index:7", "type": "index:7", "creation": "index:7", "title": "index:7",
			"facilityType": "profile:practice-profile", "practiceSetting": "profile:practice-profile",
			"custodian": "profile:practice-profile", "authors": "index:7"}, nil},
		{"no profile", row, nil, "", map[string]string{
			"patient": "index:7", "type": "index:7", "creation": "index:7", "title": "index:7"},
			[]docbridge.Reason{docbridge.MissingMetadata, docbridge.MissingMetadata, docbridge.MissingMetadata}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			side := rowSidecar(tt.row, tt.profile, specialtySystem)
			if !bytes.Equal(side, rowSidecar(tt.row, tt.profile, specialtySystem)) {
				t.Fatal("rowSidecar is not deterministic")
			}
			pdf := samplePDF(t)
			_, docs, err := conv.Convert(bytes.NewReader(pdf), int64(len(pdf)), docbridge.Origin{Name: "a.pdf", Sidecar: side})
			if err != nil || len(docs) != 1 {
				t.Fatalf("convert = %d documents, %v", len(docs), err)
			}
			d := docs[0]
			if diff := cmp.Diff(samplePatient, d.Patient); diff != "" {
				t.Errorf("patient (-row +document):\n%s", diff)
			}
			if got, want := d.Type.Code, "11488-4"; got != want {
				t.Errorf("type = %q, want %q", got, want)
			}
			if diff := cmp.Diff(tt.provenance, d.Provenance); diff != "" {
				t.Errorf("provenance (-want +got):\n%s", diff)
			}
			var got []docbridge.Reason
			for _, p := range d.Problems {
				if p.Severity == docbridge.SeverityError {
					got = append(got, p.Code)
				}
			}
			if diff := cmp.Diff(tt.problems, got); diff != "" {
				t.Errorf("error problems (-want +got):\n%s\n%v", diff, d.Problems)
			}
			if tt.author != "" {
				if len(d.Authors) != 1 || d.Authors[0].ID != tt.author {
					t.Fatalf("authors = %+v, want one with id %s", d.Authors, tt.author)
				}
				if a := d.Authors[0]; a.ID == practice.Author.ID && (a.Specialty == nil || a.Specialty.System != "urn:oid:1.2.250.1.213.1.1.4.5") {
					t.Errorf("the profile author's specialty = %+v, want G15_10/SM54 in its system", a.Specialty)
				}
				if d.FacilityType.Code != "SA07" || d.PracticeSetting.Code != "AMBULATOIRE" || d.Custodian == nil || d.Custodian.ID != "1999999902" {
					t.Errorf("facility %v, setting %v, custodian %+v: want the profile's", d.FacilityType, d.PracticeSetting, d.Custodian)
				}
			}
		})
	}
	changed := row
	changed.Title = "Consultation (corrigé)"
	if bytes.Equal(rowSidecar(row, practice, nil), rowSidecar(changed, practice, nil)) {
		t.Error("a changed row gives the same sidecar: a rerun would not see it")
	}
}

// TestDryRunIndexFillsPDFs runs a dry run over PDFs with an index only: a
// PDF with a row is converted with the row as its sidecar; a PDF with a
// sidecar file that agrees with its row keeps its sidecar; one whose
// sidecar file names the patient differently from its row stops in review
// for identity-mismatch, naming the traits; a PDF with neither fails.
func TestDryRunIndexFillsPDFs(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "archive")
	pdf := string(samplePDF(t))
	side, _ := fs.ReadFile(samples.FS, "cr-bio-sidecar.json")
	other := strings.Replace(string(side), `"birthDate": "1985-04-17"`, `"birthDate": "1985-04-18"`, 1)
	if other == string(side) {
		t.Fatal("the sample sidecar changed: update the test")
	}
	writeFiles(t, root, map[string]string{
		"a/row.pdf":       pdf + "%row\n",
		"a/agree.pdf":     pdf + "%agree\n",
		"a/agree.json":    string(side),
		"a/disagree.pdf":  pdf + "%disagree\n",
		"a/disagree.json": other,
		"a/date.pdf":      pdf + "%date\n",
		"a/date.json":     string(side),
		"a/nothing.pdf":   pdf + "%nothing\n",
		"practice.yaml":   "facility_type: SA07\n",
		"index.csv": "fichier;ins;oid_ins;nom_naissance;prenoms;date_naissance;sexe;lieu_naissance;code_type;date_creation\n" +
			"a\\row.pdf;285047505612322;1.2.250.1.213.1.4.10;DOCBRIDGE-TEST;CAMILLE MARIE-ANNE;17/04/1985;F;75056;11488-4;15/03/2019\n" +
			"a\\agree.pdf;285047505612322;1.2.250.1.213.1.4.10;Docbridge-Test;Camille Marie-Anne;17/04/1985;F;75056;11502-2;01/03/2025\n" +
			"a\\date.pdf;285047505612322;1.2.250.1.213.1.4.10;DOCBRIDGE-TEST;CAMILLE MARIE-ANNE;17/04/1985;F;75056;11488-4;15/03/2019\n" +
			"a\\disagree.pdf;285047505612322;1.2.250.1.213.1.4.10;DOCBRIDGE-TEST;CAMILLE MARIE-ANNE;17/04/1985;F;75056;11488-4;15/03/2019\n",
	})
	io := identity.Options{Environment: identity.Environment("test")}
	res, err := DryRun(context.Background(), Options{
		Root: root, ScratchDir: filepath.Join(dir, "tmp"), Convert: realConverter(t), Profile: practice,
		ProfileFile: filepath.Join(root, "practice.yaml"),
		Check:       func(d *docbridge.Document) []docbridge.Problem { return identity.CheckDocument(d, io) },
		Match:       noMatch{},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	got := map[string]string{}
	for r := range res.Refusals(context.Background()) {
		got[r.Path] = string(r.Outcome) + " " + string(r.Reason)
		if r.Path == "a/disagree.pdf" && !strings.Contains(r.Message, "birthDate") {
			t.Errorf("the disagreement does not name the trait: %s", r.Message)
		}
	}
	for d := range res.Documents(context.Background()) {
		got[d.Path] = string(d.Outcome) + " " + string(d.Reason) + " patient from " + orDash(d.Provenance["patient"])
		if d.Message != "" && d.Message != "no pairing" {
			got[d.Path] += ": " + strings.TrimPrefix(d.Message, "no pairing ")
		}
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"a/row.pdf":      "held not-paired patient from index:2",
		"a/agree.pdf":    "held not-paired patient from -",
		"a/date.pdf":     "held not-paired patient from -: (the sidecar file and line 4 of the index differ on the type and creation date: the sidecar file's is used)",
		"a/disagree.pdf": "review identity-mismatch",
		"a/nothing.pdf":  "failed missing-metadata",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if got, want := res.Summary.Files, 5; got != want {
		t.Errorf("files = %d, want %d (the index, the profile and the sidecars are not inputs)", got, want)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// TestRowSidecarLocalType checks that a row's local type code, in its
// type_system, is translated by the operator's local-codes.yaml.
func TestRowSidecarLocalType(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"local-codes.yaml": `- valueSet: JDV_J07
  from: {system: "1.2.250.1.999.1", code: "CONSULT"}
  to:   {system: "2.16.840.1.113883.6.1", code: "11488-4"}
`})
	maps, err := mappings.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	row := IndexRow{Line: 3, Patient: samplePatient, Type: docbridge.Coding{System: "1.2.250.1.999.1", Code: "CONSULT"}, Creation: "2019-03-15"}
	pdf := samplePDF(t)
	_, docs, err := convert.New(convert.Options{Mappings: maps}).Convert(bytes.NewReader(pdf), int64(len(pdf)),
		docbridge.Origin{Name: "a.pdf", Sidecar: rowSidecar(row, practice, nil)})
	if err != nil || len(docs) != 1 {
		t.Fatalf("convert = %d documents, %v", len(docs), err)
	}
	if got, want := docs[0].Type.Code, "11488-4"; got != want {
		t.Errorf("type = %q, want %q (the local code translated)", got, want)
	}
	if pr := docs[0].FirstError(); pr != nil {
		t.Errorf("first error = %+v, want none", pr)
	}
}
