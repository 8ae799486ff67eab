package bulk

import (
	"context"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"iter"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// Invitation is what the invitations to pair show besides the patient: the
// service's pairing link (pairing.public_url + "/start"; "" when the
// configuration serves no pairing endpoint: the letters then ask the
// patient to contact the practice), the service's name and the practice
// that writes (the profile's custodian).
type Invitation struct {
	PairingURL string
	Service    string
	Practice   string
}

var invitationTemplate = template.Must(template.ParseFS(templates, "templates/invitations.html.tmpl"))

// letter is one patient's invitation, in French: the words both the HTML
// and the PDF form print. It is patient data.
type letter struct {
	From     string   // the practice
	Heading  string   // the title
	Greeting string   // "Madame,"
	Body     []string // paragraphs before the patient's identity
	For      string   // who the letter is for: name and birth date
	Link     string   // the pairing link, "" when there is none
	Steps    []string // how to pair (with a link), or whom to ask (without)
	Footer   string
}

// letterOf writes the letter of patient p.
func letterOf(p Invitee, inv Invitation) letter {
	l := letter{From: inv.Practice, Link: inv.PairingURL}
	if l.From == "" {
		l.From = "Votre médecin"
	}
	service := inv.Service
	if service == "" {
		service = "docbridge"
	}
	l.Heading = "Vos documents médicaux vous attendent dans Mon espace santé"
	switch p.Sex {
	case "F":
		l.Greeting = "Madame,"
	case "M":
		l.Greeting = "Monsieur,"
	default:
		l.Greeting = "Madame, Monsieur,"
	}
	docs := fmt.Sprintf("%d document vous attend", p.Documents)
	if p.Documents > 1 {
		docs = fmt.Sprintf("%d documents vous attendent", p.Documents)
	}
	l.Body = []string{
		"Votre médecin cesse son activité et transmet vos documents médicaux à votre profil Mon espace santé, " +
			"pour que vous les gardiez et puissiez les montrer aux professionnels de santé que vous choisirez.",
		docs + ". Pour les recevoir, reliez une fois votre profil Mon espace santé au service « " + service +
			" » : c'est vous qui donnez votre accord, sur le site de Mon espace santé.",
	}
	l.For = p.BirthName + " " + p.FirstNames
	if y, m, d, ok := splitDate(p.BirthDate); ok {
		l.For += ", né(e) le " + d + "/" + m + "/" + y
	}
	if l.Link != "" {
		l.Steps = []string{
			"Ouvrez ce lien, ou photographiez le code ci-dessous avec votre téléphone :",
			"Connectez-vous à Mon espace santé quand la page vous le demande, puis acceptez la liaison. " +
				"Vos documents vous sont envoyés dès que la liaison est faite.",
		}
	} else {
		l.Steps = []string{"Contactez le cabinet pour recevoir le lien qui relie votre profil Mon espace santé."}
	}
	l.Footer = "Si vous n'avez pas encore activé Mon espace santé, activez-le d'abord sur www.monespacesante.fr. " +
		"Si vous ne reliez pas votre profil, vos documents ne seront pas envoyés ; le cabinet vous indiquera combien de temps " +
		"il les conserve. Si ce courrier ne vous est pas destiné, merci de le détruire."
	return l
}

// qrPNG draws the pairing link as a QR code (PNG), nil without a link.
func (r *Result) qrPNG() ([]byte, error) {
	if r.invitation.PairingURL == "" {
		return nil, nil
	}
	png, err := qrcode.Encode(r.invitation.PairingURL, qrcode.Medium, 256)
	if err != nil {
		return nil, fmt.Errorf("draw the pairing link's QR code: %w", err)
	}
	return png, nil
}

// WriteInvitationsHTML writes one printable page per patient without a
// pairing, in French: who they are (to check it is them), how many
// documents wait for them, the pairing link and its QR code (a PNG inline,
// nothing fetched). It holds patient data: write it 0600 (WriteReportDir
// does). It returns the template's or the scratch database's error.
func (r *Result) WriteInvitationsHTML(ctx context.Context, w io.Writer) error {
	png, err := r.qrPNG()
	if err != nil {
		return err
	}
	qr := ""
	if png != nil {
		qr = "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
	}
	data := struct {
		QR      template.URL
		Letters iter.Seq[letter]
	}{QR: template.URL(qr), Letters: r.letters(ctx)}
	if err := invitationTemplate.Execute(w, data); err != nil {
		return err
	}
	return r.Err()
}

// letters streams the letters of the patients without a pairing.
func (r *Result) letters(ctx context.Context) iter.Seq[letter] {
	return func(yield func(letter) bool) {
		for p := range r.Invitees(ctx) {
			if !yield(letterOf(p, r.invitation)) {
				return
			}
		}
	}
}

// splitDate splits YYYY-MM-DD.
func splitDate(s string) (y, m, d string, ok bool) {
	parts := strings.Split(s, "-")
	if len(parts) != 3 {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}
