package convert

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/golden"
	"github.com/docbridge/docbridge/mappings"
)

// labProfile is a complete profile for the HL7 v2 test messages' lab.
func labProfile() docbridge.Profile {
	return docbridge.Profile{
		Name: "lab", FacilityType: "SA25", PracticeSetting: "AMBULATOIRE",
		Custodian:       &docbridge.ProfileOrg{ID: "1.2.250.1.71.4.2.2^1999999901", Name: "Laboratoire (fictif)"},
		Author:          &docbridge.ProfileAuthor{ID: "10000000001", Name: "Biologiste FICTIF", Specialty: "G15_10/SM54"},
		Confidentiality: "N", Language: "fr-FR", DocumentType: "11502-2",
	}
}

// contraryProfile gives another valid value for every field a profile can
// fill, so that a value it replaced would show.
func contraryProfile() docbridge.Profile {
	return docbridge.Profile{
		Name: "contrary", FacilityType: "SA01", PracticeSetting: "ETABLISSEMENT",
		Custodian:       &docbridge.ProfileOrg{ID: "1.2.250.1.71.4.2.2^1999999999", Name: "Autre (fictif)"},
		Author:          &docbridge.ProfileAuthor{ID: "10000000099", Name: "Autre AUTEUR", Specialty: "G15_10/SM01"},
		Confidentiality: "R", Language: "en-GB", DocumentType: "11488-4",
	}
}

func TestCheckProfile(t *testing.T) {
	m := golden.Mappings(t)
	tests := []struct {
		name string
		edit func(p *docbridge.Profile)
		want string // "" for a valid profile; else what the error names
	}{
		{"lab", func(*docbridge.Profile) {}, ""},
		{"empty", func(p *docbridge.Profile) { *p = docbridge.Profile{Name: "lab"} }, ""},
		{"12-digit IdNat_PS", func(p *docbridge.Profile) { p.Author.ID = "810000000001" }, ""},
		{"local document type", func(p *docbridge.Profile) { p.DocumentType = "CRBIO" }, `profile "lab": document_type: "CRBIO" is not a JDV_J07 code`},
		{"facility type", func(p *docbridge.Profile) { p.FacilityType = "SA99" }, `profile "lab": facility_type: "SA99" is not a JDV_J02 code`},
		{"practice setting", func(p *docbridge.Profile) { p.PracticeSetting = "LABO" }, `profile "lab": practice_setting: "LABO"`},
		{"confidentiality", func(p *docbridge.Profile) { p.Confidentiality = "X" }, `profile "lab": confidentiality: "X"`},
		{"language", func(p *docbridge.Profile) { p.Language = "français" }, `profile "lab": language:`},
		{"custodian id", func(p *docbridge.Profile) { p.Custodian.ID = "1999999901" }, `profile "lab": custodian.id:`},
		{"custodian name", func(p *docbridge.Profile) { p.Custodian.Name = "" }, `profile "lab": custodian.name:`},
		{"author id", func(p *docbridge.Profile) { p.Author.ID = "1234" }, `profile "lab": author.id: "1234" is not an RPPS number`},
		{"author specialty", func(p *docbridge.Profile) { p.Author.Specialty = "SM54" }, `profile "lab": author.specialty: "SM54"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := labProfile()
			tt.edit(&p)
			err := CheckProfile(p, m)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("CheckProfile = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("CheckProfile = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

func TestParseProfile(t *testing.T) {
	m := golden.Mappings(t)
	good := "facility_type: SA25\npractice_setting: AMBULATOIRE\nauthor: {id: \"10000000001\", name: Dr FICTIF}\n"
	p, err := ParseProfile([]byte(good), m)
	if err != nil {
		t.Fatalf("ParseProfile: %v", err)
	}
	if got, want := p.FacilityType, "SA25"; got != want || p.Author == nil || p.Name != "" {
		t.Errorf("ParseProfile = %+v, want facility_type %s, an author, no name", p, want)
	}
	for _, bad := range []string{"name: lab\n", "when: {intake: x}\n", "facility_type: SA99\n", "facility_type: [\n"} {
		if _, err := ParseProfile([]byte(bad), m); err == nil {
			t.Errorf("ParseProfile(%q) = nil error, want one", bad)
		}
	}
}

// convertWith converts the file at path through Converter.Convert with the
// given origin, in UTC.
func convertWith(t *testing.T, path string, origin docbridge.Origin) []*docbridge.Document {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if side, err := os.ReadFile(strings.TrimSuffix(path, filepath.Ext(path)) + ".json"); err == nil && filepath.Ext(path) == ".pdf" {
		origin.Sidecar = side
	}
	_, docs, err := New(Options{Mappings: golden.Mappings(t), Location: time.UTC}).Convert(bytes.NewReader(raw), int64(len(raw)), origin)
	if err != nil {
		t.Fatalf("Convert(%s): %v", path, err)
	}
	return docs
}

// TestProfileNeverOverrides converts inputs of every format with and
// without a profile that gives another value for every field: the profile
// fills exactly the fields the document leaves empty (its provenance), and
// every other field is the document's own.
func TestProfileNeverOverrides(t *testing.T) {
	all := []string{fieldType, fieldFacilityType, fieldPracticeSetting, fieldAuthors, fieldCustodian, fieldConfidentiality, fieldLanguage}
	tests := []struct {
		name   string
		path   string
		filled []string // the fields the document leaves empty
	}{
		{"cda", filepath.Join(samplesDir, "cr-bio-n1-pdf.xml"), nil},
		{"hl7v2 with a cda", filepath.Join(samplesDir, "oru-r01-cr-bio.hl7"), nil},
		{"hl7v2 oru with a bare pdf", filepath.Join("hl7v2", "testdata", "oru-pdf-latin1.hl7"),
			[]string{fieldFacilityType, fieldPracticeSetting, fieldCustodian, fieldConfidentiality, fieldLanguage}},
		{"hl7v2 mdm with a bare pdf", filepath.Join("hl7v2", "testdata", "mdm-t10-pdf.hl7"),
			[]string{fieldFacilityType, fieldPracticeSetting, fieldCustodian, fieldConfidentiality, fieldLanguage}},
		{"fhir documentreference", filepath.Join("fhir", "testdata", "iti105-pdf.json"), nil},
		{"fhir document", filepath.Join("fhir", "testdata", "document-bundle.json"), []string{fieldPracticeSetting}},
		{"pdf with a sidecar", filepath.Join("pdf", "testdata", "cr-bio.pdf"), nil},
		{"pdf named by a pattern", filepath.Join("pdf", "testdata", "285047505612322_11502-2_20250301.pdf"),
			[]string{fieldFacilityType, fieldPracticeSetting, fieldAuthors, fieldCustodian, fieldConfidentiality, fieldLanguage}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			origin := docbridge.Origin{Name: filepath.Base(tt.path), Intake: "in"}
			plain := convertWith(t, tt.path, origin)
			origin.Profiles = docbridge.Profiles{contraryProfile()}
			filled := convertWith(t, tt.path, origin)
			if len(plain) != len(filled) {
				t.Fatalf("%d documents with the profile, %d without", len(filled), len(plain))
			}
			for i, d := range filled {
				got := slices.Sorted(maps.Keys(d.Provenance))
				if want := slices.Sorted(slices.Values(tt.filled)); !slices.Equal(got, want) {
					t.Errorf("document %d: provenance fields = %v, want %v", i, got, want)
				}
				for _, f := range all {
					if _, ok := d.Provenance[f]; ok {
						if p := d.Provenance[f]; p != "profile:contrary" {
							t.Errorf("document %d: provenance of %s = %q, want profile:contrary", i, f, p)
						}
						continue
					}
					if a, b := field(t, plain[i], f), field(t, d, f); a != b {
						t.Errorf("document %d: the profile changed %s the document carries: %s, was %s", i, f, b, a)
					}
				}
			}
		})
	}
}

// field is the JSON of one field of d.
func field(t *testing.T, d *docbridge.Document, name string) string {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return string(m[name])
}

// TestProfileGolden converts the HL7 v2 messages carrying a bare PDF under
// the lab's profile, selected by MSH-3.1, and compares the outcome with
// testdata/golden/profile-<name>.json. Regenerate with -update.
func TestProfileGolden(t *testing.T) {
	p := labProfile()
	p.When = docbridge.ProfileSelector{SendingApplication: "LIS-DB"}
	origin := docbridge.Origin{Intake: "mllp", Profiles: docbridge.Profiles{p}}
	for _, name := range []string{"oru-pdf-latin1", "mdm-t02-pdf-crlf", "mdm-t10-pdf"} {
		t.Run(name, func(t *testing.T) {
			docs := convertWith(t, filepath.Join("hl7v2", "testdata", name+".hl7"), origin)
			for _, d := range docs {
				for _, pr := range d.Problems {
					if pr.Code == docbridge.MissingMetadata || pr.Code == docbridge.ProfileInvalid {
						t.Errorf("problem %s %q, want none under a complete profile", pr.Code, pr.Message)
					}
				}
			}
			golden.Compare(t, "profile-"+name+".json", golden.OutcomeOf(docs, nil))
		})
	}
}

// TestProfileSelection checks which profile applies: by intake, by HL7
// sending application and facility (MSH-3.1, MSH-4.1), by FHIR sender,
// the most specific match winning.
func TestProfileSelection(t *testing.T) {
	named := func(name string, w docbridge.ProfileSelector) docbridge.Profile {
		p := docbridge.Profile{Name: name, FacilityType: "SA25", PracticeSetting: "AMBULATOIRE", When: w}
		return p
	}
	ps := docbridge.Profiles{
		named("mllp", docbridge.ProfileSelector{Intake: "mllp"}),
		named("mllp-db", docbridge.ProfileSelector{Intake: "mllp", SendingApplication: "LIS-DB"}),
		named("mllp-db-labo", docbridge.ProfileSelector{Intake: "mllp", SendingApplication: "LIS-DB", SendingFacility: "LABO-DB"}),
		named("other-app", docbridge.ProfileSelector{SendingApplication: "LIS-XX"}),
		named("fhir-token", docbridge.ProfileSelector{Intake: "fhir", Sender: "clinic-a"}),
	}
	hl7PDF := filepath.Join("hl7v2", "testdata", "oru-pdf-latin1.hl7") // MSH-3 LIS-DB, MSH-4 LABO-DB
	docref := filepath.Join("fhir", "testdata", "document-bundle.json")
	tests := []struct {
		name     string
		path     string
		origin   docbridge.Origin
		profiles docbridge.Profiles
		want     string // the provenance of practiceSetting; "" for no profile
	}{
		{"most specific", hl7PDF, docbridge.Origin{Intake: "mllp"}, ps, "profile:mllp-db-labo"},
		{"application only", hl7PDF, docbridge.Origin{Intake: "mllp"}, ps[:2], "profile:mllp-db"},
		{"intake only", hl7PDF, docbridge.Origin{Intake: "mllp"}, docbridge.Profiles{ps[0], ps[3]}, "profile:mllp"},
		{"other intake", hl7PDF, docbridge.Origin{Intake: "drop"}, ps, ""},
		{"fhir sender", docref, docbridge.Origin{Intake: "fhir", Sender: "clinic-a"}, ps, "profile:fhir-token"},
		{"other fhir sender", docref, docbridge.Origin{Intake: "fhir", Sender: "clinic-b"}, ps, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.origin.Profiles = tt.profiles
			docs := convertWith(t, tt.path, tt.origin)
			if got := docs[0].Provenance[fieldPracticeSetting]; got != tt.want {
				t.Errorf("provenance of practiceSetting = %q, want %q", got, tt.want)
			}
			missing := false
			for _, pr := range docs[0].Problems {
				missing = missing || pr.Code == docbridge.MissingMetadata && pr.Severity == docbridge.SeverityError
			}
			if missing != (tt.want == "") {
				t.Errorf("missing-metadata error = %v, want %v (%+v)", missing, tt.want == "", docs[0].Problems)
			}
		})
	}
}

// TestRequiredAfterProfile removes from a CDA each element a profile can
// give: without a profile the document has a MissingMetadata error naming
// the element; with one, the field is filled and recorded, and no problem
// is left. A profile value the value sets do not know is ProfileInvalid
// instead.
func TestRequiredAfterProfile(t *testing.T) {
	base := string(readFile(t, "..", "samples", "cr-bio-n1-pdf.xml"))
	tests := []struct {
		field, element string
		cut            []string // regexp-free literal fragments removed from the CDA
	}{
		{fieldType, "ClinicalDocument/code", []string{`<code code="11502-2"`}},
		{fieldConfidentiality, "ClinicalDocument/confidentialityCode", []string{`<confidentialityCode `}},
		{fieldLanguage, "ClinicalDocument/languageCode", []string{`<languageCode `}},
		{fieldFacilityType, "healthCareFacility/code", []string{`<code code="SA25"`}},
		{fieldPracticeSetting, "standardIndustryClassCode", []string{`<standardIndustryClassCode `}},
	}
	o := Options{Mappings: golden.Mappings(t), Location: time.UTC}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			raw := base
			for _, c := range tt.cut {
				i := strings.Index(raw, c)
				if i < 0 {
					t.Fatalf("the sample has no %s", c)
				}
				j := i + strings.Index(raw[i:], "/>") + 2
				raw = raw[:i] + raw[j:]
			}
			conv := func(ps docbridge.Profiles) *docbridge.Document {
				_, docs, err := New(o).Convert(strings.NewReader(raw), int64(len(raw)), docbridge.Origin{Profiles: ps})
				if err != nil {
					t.Fatal(err)
				}
				return docs[0]
			}
			d := conv(nil)
			if p := d.FirstError(); p == nil || p.Code != docbridge.MissingMetadata || !strings.Contains(p.Message, tt.element) {
				t.Fatalf("without a profile, first error = %+v, want missing-metadata naming %s", p, tt.element)
			}
			d = conv(docbridge.Profiles{labProfile()})
			if p := d.FirstError(); p != nil {
				t.Errorf("with the profile, first error = %+v, want none", p)
			}
			if got := d.Provenance[tt.field]; got != "profile:lab" {
				t.Errorf("provenance of %s = %q, want profile:lab", tt.field, got)
			}
			bad := docbridge.Profile{Name: "bad", FacilityType: "SA99", PracticeSetting: "X", DocumentType: "X", Confidentiality: "X", Language: "?"}
			d = conv(docbridge.Profiles{bad})
			if p := d.FirstError(); p == nil || p.Code != docbridge.ProfileInvalid {
				t.Errorf("with a wrong profile, first error = %+v, want profile-invalid", p)
			}
			for _, p := range d.Problems {
				if p.Code == docbridge.MissingMetadata && p.Severity == docbridge.SeverityError {
					t.Errorf("with a wrong profile, also %q: the field is reported once", p.Message)
				}
			}
		})
	}
}

// TestProfileFillsDocumentReference: an ITI-105 DocumentReference without
// context.facilityType and context.practiceSetting, nor format, stops for
// them alone; its sender's profile gives them, and the format comes from
// its content type.
func TestProfileFillsDocumentReference(t *testing.T) {
	var dr map[string]any
	if err := json.Unmarshal(readFile(t, "fhir", "testdata", "iti105-pdf.json"), &dr); err != nil {
		t.Fatal(err)
	}
	ctx := dr["context"].(map[string]any)
	delete(ctx, "facilityType")
	delete(ctx, "practiceSetting")
	for _, c := range dr["content"].([]any) {
		delete(c.(map[string]any), "format")
	}
	raw, err := json.Marshal(dr)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Mappings: golden.Mappings(t), Location: time.UTC}
	conv := func(origin docbridge.Origin) *docbridge.Document {
		_, docs, err := New(o).Convert(bytes.NewReader(raw), int64(len(raw)), origin)
		if err != nil {
			t.Fatal(err)
		}
		return docs[0]
	}
	var missing []string
	for _, p := range conv(docbridge.Origin{Intake: "fhir", Sender: "clinic-a"}).Problems {
		if p.Severity == docbridge.SeverityError {
			missing = append(missing, string(p.Code)+": "+p.Message)
		}
	}
	if len(missing) != 2 || !strings.Contains(missing[0], "JDV_J02") || !strings.Contains(missing[1], "context.practiceSetting") {
		t.Errorf("errors without a profile = %q, want the facility type and the practice setting", missing)
	}
	p := labProfile()
	p.When = docbridge.ProfileSelector{Intake: "fhir", Sender: "clinic-a"}
	d := conv(docbridge.Origin{Intake: "fhir", Sender: "clinic-a", Profiles: docbridge.Profiles{p}})
	if e := d.FirstError(); e != nil {
		t.Errorf("first error with the profile = %+v, want none", e)
	}
	if got, want := d.PracticeSetting.Code, "AMBULATOIRE"; got != want || d.Provenance[fieldPracticeSetting] != "profile:lab" {
		t.Errorf("practice setting = %q from %q, want %q from profile:lab", got, d.Provenance[fieldPracticeSetting], want)
	}
	if got, want := d.Format, "urn:ihe:iti:xds-sd:pdf:2008"; got != want {
		t.Errorf("format = %q, want %q", got, want)
	}
}

// TestProfileLocalDocumentType: a profile's document_type may be a local
// code that local-codes.yaml translates; the document gets the national
// type, its class and its display as title.
func TestProfileLocalDocumentType(t *testing.T) {
	dir := t.TempDir()
	local := "- valueSet: JDV_J07\n  from: {system: 1.2.250.1.999.1, code: CRBIO}\n  to: {system: 2.16.840.1.113883.6.1, code: 11502-2}\n"
	if err := os.WriteFile(filepath.Join(dir, mappings.LocalCodesFile), []byte(local), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := mappings.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	p := docbridge.Profile{Name: "lab", DocumentType: "CRBIO"}
	if err := CheckProfile(p, m); err != nil {
		t.Fatalf("CheckProfile: %v", err)
	}
	d := &docbridge.Document{}
	applyProfile(d, &p, m)
	if d.Type.Code != "11502-2" || d.Class.Code != "10" || d.Title == "" || d.Provenance[fieldType] != "profile:lab" {
		t.Errorf("document = type %+v class %+v title %q provenance %v; want 11502-2, class 10, its display, profile:lab",
			d.Type, d.Class, d.Title, d.Provenance)
	}
}
