package bulk

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/identity"
)

// invitationResult is a dry run of three PDFs of two patients without a
// pairing, with the given invitation settings.
func invitationResult(t *testing.T, inv Invitation) *Result {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "archive")
	pdf := string(samplePDF(t))
	writeFiles(t, root, map[string]string{
		"a.pdf": pdf + "%a\n", "b.pdf": pdf + "%b\n", "c.pdf": pdf + "%c\n",
		"index.csv": "fichier;ins;oid_ins;nom_naissance;prenoms;date_naissance;sexe;lieu_naissance;code_type;date_creation\n" +
			"a.pdf;285047505612322;1.2.250.1.213.1.4.10;DOCBRIDGE-TEST;CAMILLE MARIE-ANNE;17/04/1985;F;75056;11488-4;15/03/2019\n" +
			"b.pdf;285047505612322;1.2.250.1.213.1.4.10;DOCBRIDGE-TEST;CAMILLE MARIE-ANNE;17/04/1985;F;75056;11488-4;16/03/2019\n" +
			"c.pdf;192036912304577;1.2.250.1.213.1.4.10;DOCBRIDGE-ESSAI;LOUIS PIERRE;08/03/1992;M;69123;11488-4;04/11/2020\n",
	})
	io := identity.Options{Environment: identity.Environment("test")}
	res, err := DryRun(context.Background(), Options{
		Root: root, ScratchDir: filepath.Join(dir, "tmp"), Convert: realConverter(t), Profile: practice, Invitation: inv,
		Check: func(d *docbridge.Document) []docbridge.Problem { return identity.CheckDocument(d, io) },
		Match: noMatch{},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	return res
}

// TestInvitations checks the printable letters: one per patient without a
// pairing, in French, with the number of their documents, the pairing
// link and its QR code, as HTML and as a valid PDF of one page each;
// without a link, the letters say whom to ask.
func TestInvitations(t *testing.T) {
	const link = "https://cabinet.example/docbridge/start"
	res := invitationResult(t, Invitation{PairingURL: link, Service: "Cabinet Exemple", Practice: "Cabinet du Dr Exemple"})
	var html bytes.Buffer
	if err := res.WriteInvitationsHTML(context.Background(), &html); err != nil {
		t.Fatal(err)
	}
	s := html.String()
	for _, want := range []struct {
		text string
		n    int
	}{
		{`<section class="letter">`, 2}, {"data:image/png;base64,", 2}, {link, 2}, {"Cabinet du Dr Exemple", 2},
		{"2 documents vous attendent", 1}, {"1 document vous attend", 1}, {"Madame,", 1}, {"Monsieur,", 1},
		{"DOCBRIDGE-TEST CAMILLE MARIE-ANNE, né(e) le 17/04/1985", 1}, {"« Cabinet Exemple »", 2},
	} {
		if got := strings.Count(s, want.text); got != want.n {
			t.Errorf("invitations.html holds %q %d times, want %d", want.text, got, want.n)
		}
	}
	var pdf bytes.Buffer
	if err := res.WriteInvitationsPDF(context.Background(), &pdf); err != nil {
		t.Fatal(err)
	}
	conf := &model.Configuration{Reader15: true, ValidationMode: model.ValidationRelaxed, Offline: true,
		Limits: model.DefaultResourceLimits(), Eol: "\n"}
	if err := api.Validate(bytes.NewReader(pdf.Bytes()), conf); err != nil {
		t.Fatalf("invitations.pdf is not a valid PDF: %v", err)
	}
	if n, err := api.PageCount(bytes.NewReader(pdf.Bytes()), conf); err != nil || n != 2 {
		t.Errorf("invitations.pdf has %d pages (%v), want 2", n, err)
	}

	res = invitationResult(t, Invitation{})
	html.Reset()
	if err := res.WriteInvitationsHTML(context.Background(), &html); err != nil {
		t.Fatal(err)
	}
	if s := html.String(); strings.Contains(s, "data:image/png") || strings.Count(s, "Contactez le cabinet") != 2 {
		t.Errorf("without a pairing link, the letters must ask to contact the practice and show no QR code")
	}
	pdf.Reset()
	if err := res.WriteInvitationsPDF(context.Background(), &pdf); err != nil {
		t.Fatalf("invitations.pdf without a link: %v", err)
	}
}
