package cda

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/golden"
)

// TestWorkedExample checks the metadata docs/sources.md §2 expects
// for the ANS level-1 example DOC_NON_STRUCTURE_CDA-R2-N1.xml.
func TestWorkedExample(t *testing.T) {
	path := filepath.Join(golden.Corpus("cda-fr"), "DOC_NON_STRUCTURE_CDA-R2-N1.xml")
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("corpus file %s is not present", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	docs, err := Convert(raw, golden.Mappings(t), nil)
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	if got, want := len(docs), 1; got != want {
		t.Fatalf("len(docs) = %d, want %d", got, want)
	}
	d := docs[0]

	for _, c := range []struct{ name, got, want string }{
		{"UniqueID", d.UniqueID, "urn:oid:1.3.6.1.4.1.19376.1.2.20.12345.1.1"},
		{"Action", string(d.Action), "create"},
		{"Type.System", d.Type.System, "http://loinc.org"},
		{"Type.Code", d.Type.Code, "11502-2"},
		{"Class.Code", d.Class.Code, "10"},
		{"Format", d.Format, "urn:ihe:iti:xds-sd:pdf:2008"},
		{"Creation", d.Creation, "2021-04-01T13:47:45+01:00"},
		{"CreationSource", d.CreationSource, "20210401134745+0100"},
		{"Title", d.Title, "Compte rendu d'examens biologiques"},
		{"Language", d.Language, "fr-FR"},
		{"Confidentiality", d.Confidentiality, "N"},
		{"ContentType", d.ContentType, "text/xml"},
		{"SHA1", d.SHA1, "d8a162b88e6344aade47df7a320c61dd8a240684"},
		{"FacilityType.Code", d.FacilityType.Code, "SA07"},
		{"PracticeSetting.Code", d.PracticeSetting.Code, "AMBULATOIRE"},
		{"ServiceStart", d.ServiceStart, "2021-01-04T13:47:00+01:00"},
		{"ServiceStop", d.ServiceStop, "2021-01-04T13:55:00+01:00"},
		{"Patient.INS", d.Patient.INS, "279035121518989"},
		{"Patient.INSSystem", d.Patient.INSSystem, "urn:oid:1.2.250.1.213.1.4.10"},
		{"Patient.BirthName", d.Patient.BirthName, "PAT-TROIS"},
		{"Patient.BirthDate", d.Patient.BirthDate, "1979-03-28"},
		{"Patient.Sex", d.Patient.Sex, "F"},
		{"Patient.BirthPlace", d.Patient.BirthPlace, "51215"},
		{"LegalAuthenticator.ID", d.LegalAuthenticator.ID, "807505123456"},
		{"Custodian.ID", d.Custodian.ID, "1120459876"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if got, want := d.Size, int64(448271); got != want {
		t.Errorf("Size = %d, want %d", got, want)
	}
	if got, want := len(d.Content), len(raw); got != want {
		t.Errorf("len(Content) = %d, want the whole file (%d)", got, want)
	}
	if diff := cmp.Diff([]string{"DOMINIQUE", "MARIE-LOUISE"}, d.Patient.FirstNames); diff != "" {
		t.Errorf("Patient.FirstNames (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]docbridge.Identifier{{System: "urn:oid:1.2.3.4.567.8.9.10", Value: "1234567890121"}}, d.Patient.LocalIDs); diff != "" {
		t.Errorf("Patient.LocalIDs (-want +got):\n%s", diff)
	}
	wantAuthor := docbridge.Author{
		ID: "801234534765", System: "urn:oid:1.2.250.1.71.4.2.1", Name: "Marcel CAMPARINI",
		Specialty:    &docbridge.Coding{System: "urn:oid:1.2.250.1.213.1.1.4.5", Code: "G15_10/SM03", Display: "Médecin - Biologie médicale (SM)"},
		Organization: &docbridge.Organization{ID: "1120459876", System: "urn:oid:1.2.250.1.71.4.2.2", Name: "Laboratoire des charmes"},
	}
	if diff := cmp.Diff([]docbridge.Author{wantAuthor}, d.Authors); diff != "" {
		t.Errorf("Authors (-want +got):\n%s", diff)
	}
	if len(d.Problems) != 0 {
		t.Errorf("Problems = %+v, want none", d.Problems)
	}
}
