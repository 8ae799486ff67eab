package conformance

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/docbridge/docbridge"
)

// testDocument returns a complete document for the paired test patient:
// a laboratory report as a small PDF whose text names the run (never the
// patient), under a fresh urn:uuid uniqueId, so that runs never collide at
// MES. The codes are from the national value sets.
func testDocument(p docbridge.Pairing, now time.Time, label string) *docbridge.Document {
	id := randomHex(16)
	uid := fmt.Sprintf("urn:uuid:%s-%s-4%s-a%s-%s", id[:8], id[8:12], id[13:16], id[17:20], id[20:32])
	content := testPDF(fmt.Sprintf("docbridge conformance: %s, %s", label, uid))
	s1, s256 := sha1.Sum(content), sha256.Sum256(content)
	at := now.In(paris).Truncate(time.Second)
	return &docbridge.Document{
		UniqueID:        uid,
		Action:          docbridge.Create,
		Type:            docbridge.Coding{System: "http://loinc.org", Code: "11502-2", Display: "CR d'examens biologiques"},
		Class:           docbridge.Coding{System: "urn:oid:1.2.250.1.213.1.1.4.1", Code: "10", Display: "Compte rendu"},
		Title:           "Document de test de référencement (docbridge)",
		Creation:        at.Format(time.RFC3339),
		Language:        "fr-FR",
		Confidentiality: "N",
		ContentType:     "application/pdf",
		Format:          "urn:ihe:iti:xds-sd:pdf:2008",
		Size:            int64(len(content)),
		SHA1:            hex.EncodeToString(s1[:]),
		SHA256:          hex.EncodeToString(s256[:]),
		FacilityType:    docbridge.Coding{System: "urn:oid:1.2.250.1.71.4.2.4", Code: "SA07", Display: "Cabinet individuel"},
		PracticeSetting: docbridge.Coding{System: "urn:oid:1.2.250.1.213.1.1.4.9", Code: "AMBULATOIRE", Display: "Ambulatoire"},
		ServiceStart:    at.Add(-time.Hour).Format(time.RFC3339),
		ServiceStop:     at.Add(-50 * time.Minute).Format(time.RFC3339),
		Patient:         p.Patient,
		Authors: []docbridge.Author{{
			ID: "801234534765", System: "urn:oid:1.2.250.1.71.4.2.1", Name: "Dr Biologiste Test",
			Organization: &docbridge.Organization{ID: "1120459876", System: "urn:oid:1.2.250.1.71.4.2.2", Name: "Laboratoire de test docbridge"},
		}},
		Custodian: &docbridge.Organization{ID: "1120459876", System: "urn:oid:1.2.250.1.71.4.2.2", Name: "Laboratoire de test docbridge"},
		Content:   content,
	}
}

// testPDF returns a minimal one-page PDF showing text (ASCII).
func testPDF(text string) []byte {
	stream := fmt.Sprintf("BT /F1 10 Tf 40 760 Td (%s) Tj ET", text)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	b := []byte("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = len(b)
		b = fmt.Appendf(b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := len(b)
	b = fmt.Appendf(b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		b = fmt.Appendf(b, "%010d 00000 n \n", off)
	}
	return fmt.Appendf(b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
}
