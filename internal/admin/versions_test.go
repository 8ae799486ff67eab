package admin

import (
	"context"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// TestVersionConflictPage: a document in review for version-conflict
// shows the other version side by side, field by field.
func TestVersionConflictPage(t *testing.T) {
	f := newFixture(t)
	first := f.addDoc("urn:oid:1.2.7.1", camille, docbridge.Converted, "")
	other := camille
	other.BirthName, other.INS = "AUTRE", "185047505612372"
	d := f.doc(first).Doc
	d.Patient = other
	d.Content = []byte("<ClinicalDocument>urn:oid:1.2.7.1</ClinicalDocument>")
	acc, err := f.st.AcceptConverted(context.Background(), &docbridge.Envelope{Intake: "drop", Source: "g.xml", Body: strings.NewReader("another message")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := f.st.RecordConversion(context.Background(), acc.ID, []store.NewDocument{{Doc: d, State: docbridge.Converted}})
	if err != nil {
		t.Fatal(err)
	}
	second := refs[0].ID
	row := f.doc(second)
	if row.State != docbridge.Review || row.Reason != docbridge.VersionConflict {
		t.Fatalf("the second version is %s/%s, want review/version-conflict", row.State, row.Reason)
	}
	_, page := f.signIn("vera").get("/documents/" + itoa(second))
	at := strings.Index(page, `id="versions-`+itoa(first)+`"`)
	if at < 0 {
		t.Fatalf("no versions table for document %d on the page", first)
	}
	table := page[at:]
	table = table[:strings.Index(table, "</table>")]
	for _, want := range []string{"patient.birthName", "&#34;AUTRE&#34;", "&#34;DOCBRIDGE-TEST&#34;", "patient.ins"} {
		if !strings.Contains(table, want) {
			t.Errorf("the versions table lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "patient.firstNames") {
		t.Errorf("the versions table shows a field that does not differ:\n%s", table)
	}
}
