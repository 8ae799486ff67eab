package bulk

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"codeberg.org/go-pdf/fpdf"
)

// WriteInvitationsPDF writes the letters of WriteInvitationsHTML as a PDF,
// one A4 page per patient without a pairing, for practices that print
// from a PDF reader. The text is the HTML's; it is set in Helvetica with
// Windows-1252 encoding, which holds French. It holds patient data: write
// it 0600 (WriteReportDir does). It returns the PDF library's, the QR
// code's or the scratch database's error.
func (r *Result) WriteInvitationsPDF(ctx context.Context, w io.Writer) error {
	png, err := r.qrPNG()
	if err != nil {
		return err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreator("docbridge", true)
	pdf.SetMargins(20, 25, 20)
	pdf.SetAutoPageBreak(true, 20)
	tr := pdf.UnicodeTranslatorFromDescriptor("") // cp1252
	const qrName = "qr"
	if png != nil {
		pdf.RegisterImageOptionsReader(qrName, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
	}
	para := func(size float64, style, s string) {
		pdf.SetFont("Helvetica", style, size)
		pdf.MultiCell(0, size*0.5, tr(s), "", "L", false)
		pdf.Ln(size * 0.3)
	}
	n := 0
	for l := range r.letters(ctx) {
		n++
		pdf.AddPage()
		para(10, "", l.From)
		pdf.Ln(4)
		para(14, "B", l.Heading)
		para(11, "", l.Greeting)
		for _, b := range l.Body {
			para(11, "", b)
		}
		para(11, "", "Ce courrier est destiné à :")
		para(12, "B", l.For)
		para(11, "", l.Steps[0])
		if l.Link != "" {
			para(11, "", l.Link)
			pdf.ImageOptions(qrName, pdf.GetX(), pdf.GetY(), 45, 45, true, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
			pdf.Ln(3)
			para(11, "", l.Steps[1])
		}
		pdf.Ln(4)
		para(9, "I", l.Footer)
	}
	if err := r.Err(); err != nil {
		return err
	}
	if n == 0 {
		pdf.AddPage()
		pdf.SetFont("Helvetica", "", 11)
		pdf.MultiCell(0, 6, tr("Aucun patient à inviter : tous les patients de l'archive ont relié leur espace santé."), "", "L", false)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("write the invitations PDF: %w", err)
	}
	return nil
}
