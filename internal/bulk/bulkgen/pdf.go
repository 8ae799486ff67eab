package bulkgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/docbridge/docbridge"
)

// pdfDocument is PDF i: one page of text, with a cross-reference table
// that PDF readers (and pdfcpu) accept, and bytes of its own.
func pdfDocument(i int) []byte {
	text := fmt.Sprintf("BT /F1 14 Tf 72 720 Td (Compte rendu de biologie %d - document fictif) Tj ET", i)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(text), text),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for n, o := range objs {
		offsets[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// writeSidecar writes the sidecar of PDF i (stem.pdf) of patient p, under
// the i/100-th of the names the bulk walker pairs: stem.json, stem.yaml,
// stem.pdf.json.
func writeSidecar(stem string, i int, p docbridge.Patient, year int) error {
	side := sidecar(i, p, year)
	var b []byte
	var err error
	switch (i / 100) % 3 {
	case 0:
		stem += ".json"
		b, err = json.MarshalIndent(side, "", "  ")
	case 1:
		stem += ".yaml"
		b, err = yaml.Marshal(side)
	default:
		stem += ".pdf.json"
		b, err = json.Marshal(side)
	}
	if err != nil {
		return err
	}
	return os.WriteFile(stem, b, 0o600)
}

// sidecar is the metadata of PDF i of patient p, created in year: every
// field both MES profiles need (convert/pdf/testdata/cr-bio.json).
func sidecar(i int, p docbridge.Patient, year int) map[string]any {
	coding := func(system, code string) map[string]string { return map[string]string{"system": system, "code": code} }
	author := map[string]any{"id": "899700000011", "system": "urn:oid:1.2.250.1.71.4.2.1", "name": "Claire EXEMPLE-BIOLOGISTE"}
	org := map[string]any{"id": "1999999901", "system": "urn:oid:1.2.250.1.71.4.2.2", "name": "Laboratoire bulkgen (fictif)"}
	return map[string]any{
		"uniqueId":        fmt.Sprintf("urn:oid:1.2.250.1.999.77.3.%d", i+1),
		"setId":           fmt.Sprintf("urn:oid:1.2.250.1.999.77.4.%d", i+1),
		"versionNumber":   "1",
		"type":            map[string]string{"system": "http://loinc.org", "code": "11502-2", "display": "CR d'examens biologiques"},
		"title":           fmt.Sprintf("Compte rendu de biologie %d (PDF, fictif)", i),
		"creation":        fmt.Sprintf("%d-03-01T10:30:00+01:00", year),
		"language":        "fr-FR",
		"confidentiality": "N",
		"contentType":     "application/pdf",
		"facilityType":    coding("urn:oid:1.2.250.1.71.4.2.4", "SA25"),
		"practiceSetting": coding("urn:oid:1.2.250.1.213.1.1.4.9", "AMBULATOIRE"),
		"serviceStart":    fmt.Sprintf("%d-03-01T08:00:00+01:00", year),
		"serviceStop":     fmt.Sprintf("%d-03-01T09:00:00+01:00", year),
		"patient": map[string]any{
			"ins": p.INS, "insSystem": p.INSSystem, "birthName": p.BirthName, "firstNames": p.FirstNames,
			"birthDate": p.BirthDate, "sex": p.Sex, "birthPlace": p.BirthPlace,
		},
		"authors":            []any{map[string]any{"id": author["id"], "system": author["system"], "name": author["name"], "organization": org}},
		"legalAuthenticator": author,
		"custodian":          org,
	}
}
