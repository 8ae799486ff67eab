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

// letter is one patient's invitation, as the template shows it.
type letter struct {
	Invitee
	Civility string
	BirthFR  string // DD/MM/YYYY
}

// WriteInvitationsHTML writes one printable page per patient without a
// pairing, in French: who they are (to check it is them), how many
// documents wait for them, the pairing link and its QR code (a PNG inline,
// nothing fetched). It holds patient data: write it 0600 (WriteReportDir
// does). It returns the template's or the scratch database's error.
func (r *Result) WriteInvitationsHTML(ctx context.Context, w io.Writer) error {
	qr := ""
	if u := r.invitation.PairingURL; u != "" {
		png, err := qrcode.Encode(u, qrcode.Medium, 256)
		if err != nil {
			return fmt.Errorf("draw the pairing link's QR code: %w", err)
		}
		qr = "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
	}
	data := struct {
		Invitation
		QR      template.URL
		Letters iter.Seq[letter]
	}{Invitation: r.invitation, QR: template.URL(qr), Letters: lettersOf(r.Invitees(ctx))}
	if data.Service == "" {
		data.Service = "docbridge"
	}
	if err := invitationTemplate.Execute(w, data); err != nil {
		return err
	}
	return r.Err()
}

func lettersOf(ps iter.Seq[Invitee]) iter.Seq[letter] {
	return func(yield func(letter) bool) {
		for p := range ps {
			l := letter{Invitee: p, Civility: "Madame, Monsieur"}
			switch p.Sex {
			case "F":
				l.Civility = "Madame"
			case "M":
				l.Civility = "Monsieur"
			}
			if y, m, d, ok := splitDate(p.BirthDate); ok {
				l.BirthFR = d + "/" + m + "/" + y
			}
			if !yield(l) {
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
