package bulkgen

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"

	"github.com/docbridge/docbridge"
)

// ArchiveOptions says what practice archive GenerateArchive writes: PDFs
// only, as practice software exports them, with an index.csv and no
// sidecars.
type ArchiveOptions struct {
	Dir       string // the archive directory; created
	Documents int    // how many PDFs
	// Patients is how many synthetic patients; 0 means max(4, Documents/20).
	// Even ones are paired, odd ones not.
	Patients int
	// French writes the index as French practice software does: French
	// headers in another order, ';', DD/MM/YYYY dates, no ins_system column
	// (the NIR OID by default) and Windows-1252; the patients' names carry
	// accents. Otherwise: English headers, ',', ISO dates, UTF-8, the test
	// INS OID.
	French bool
	// Withhold leaves every Withhold-th pair of PDFs (0: none) out of index.csv;
	// CompleteIndex, when not "", receives the index with every row, in
	// the same form and with the same lines for the rows index.csv has.
	Withhold      int
	CompleteIndex string
	// Seed makes the PDFs' bytes differ from another archive's.
	Seed int
}

// ArchiveManifest is what GenerateArchive wrote.
type ArchiveManifest struct {
	Files    int                 `json:"files"`
	Pairings []docbridge.Pairing `json:"pairings"` // the paired patients, with placeholder tokens
	// Paired and Unpaired count the PDFs of paired and unpaired patients,
	// indexed or not; Withheld the PDFs without a row in index.csv, of
	// which WithheldPaired are of paired patients.
	Paired, Unpaired         int
	Withheld, WithheldPaired int
	// UnpairedPatients are the INS of the unpaired patients with at least
	// one indexed PDF; AllUnpairedPatients with at least one PDF.
	UnpairedPatients, AllUnpairedPatients map[string]bool
}

// GenerateArchive writes a practice archive of PDFs and its index.
func GenerateArchive(o ArchiveOptions) (ArchiveManifest, error) {
	np := o.Patients
	if np <= 0 {
		np = max(4, o.Documents/20)
	}
	if np%2 == 1 {
		np++
	}
	pts := make([]docbridge.Patient, np)
	for i := range pts {
		pts[i] = patient(i)
		if o.French {
			pts[i].INSSystem = "urn:oid:1.2.250.1.213.1.4.8"
			pts[i].BirthName = strings.Replace(pts[i].BirthName, "BULKTEST-", "BULKTÉST-", 1)
			pts[i].FirstNames = []string{"Zoé", "Hélène"}
		}
	}
	m := ArchiveManifest{UnpairedPatients: map[string]bool{}, AllUnpairedPatients: map[string]bool{}}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return m, fmt.Errorf("create archive %s: %w", o.Dir, err)
	}
	var rows, withheld [][]string
	for i := range o.Documents {
		pi := i % np
		p := pts[pi]
		year := 2005 + i%20
		rel := fmt.Sprintf("%s/%d/cr-%06d.pdf", folder(p), year, i)
		full := filepath.Join(o.Dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			return m, fmt.Errorf("create folder: %w", err)
		}
		if err := os.WriteFile(full, pdfDocument(o.Seed*1_000_000+i), 0o600); err != nil {
			return m, fmt.Errorf("write %s: %w", rel, err)
		}
		m.Files++
		paired := pi%2 == 0
		if paired {
			m.Paired++
		} else {
			m.Unpaired++
			m.AllUnpairedPatients[p.INS] = true
		}
		row := archiveRow(rel, p, year, i, o.French)
		// Pairs of files, so that both paired and unpaired patients lose rows.
		if o.Withhold > 0 && (i/2)%o.Withhold == o.Withhold-1 {
			m.Withheld++
			if paired {
				m.WithheldPaired++
			}
			withheld = append(withheld, row)
			continue
		}
		if !paired {
			m.UnpairedPatients[p.INS] = true
		}
		rows = append(rows, row)
	}
	if err := writeIndex(filepath.Join(o.Dir, "index.csv"), rows, o.French); err != nil {
		return m, err
	}
	if o.CompleteIndex != "" {
		if err := writeIndex(o.CompleteIndex, append(rows, withheld...), o.French); err != nil {
			return m, err
		}
	}
	for i := 0; i < np; i += 2 {
		m.Pairings = append(m.Pairings, docbridge.Pairing{
			ID: fmt.Sprintf("bulkgen-pairing-%d", i), MESPatient: fmt.Sprintf("bulkgen-mes-%d", i),
			Patient: pts[i], AccessToken: "placeholder", CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		})
	}
	return m, nil
}

var (
	englishHeader = []string{"file", "ins", "ins_system", "birth_name", "first_names", "birth_date", "sex", "birth_place",
		"type_code", "type_system", "creation", "title"}
	frenchHeader = []string{"Date création", "Fichier", "Nom de naissance", "Prénoms", "Date de naissance", "Sexe",
		"Code INSEE naissance", "INS", "Code type", "Titre", "Auteur RPPS", "Auteur nom"}
)

// archiveRow is the index row of PDF i, in the English or French column
// order of the header.
func archiveRow(rel string, p docbridge.Patient, year, i int, french bool) []string {
	names := strings.Join(p.FirstNames, " ")
	if french {
		b := p.BirthDate
		birth := b[8:10] + "/" + b[5:7] + "/" + b[0:4]
		row := []string{fmt.Sprintf("%02d/03/%d 10:30", 1+i%28, year), strings.ReplaceAll(rel, "/", `\`), p.BirthName, names, birth, p.Sex,
			p.BirthPlace, p.INS, "11488-4", fmt.Sprintf("Compte rendu de consultation n° %d", i), "", ""}
		if i%3 == 0 { // a letter from a colleague, named in the index
			row[10], row[11] = "810000000002", "Dr Élise REMPLAÇANTE"
		}
		return row
	}
	return []string{rel, p.INS, strings.TrimPrefix(p.INSSystem, "urn:oid:"), p.BirthName, names, p.BirthDate, p.Sex, p.BirthPlace,
		"11488-4", "2.16.840.1.113883.6.1", fmt.Sprintf("%d-03-%02d", year, 1+i%28), fmt.Sprintf("Consultation report %d", i)}
}

// writeIndex writes an index: English (UTF-8, ',') or French
// (Windows-1252, ';').
func writeIndex(file string, rows [][]string, french bool) error {
	f, err := os.OpenFile(file, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("create index: %w", err)
	}
	defer f.Close()
	header := englishHeader
	var out io.WriteCloser = f
	if french {
		header = frenchHeader
		out = transform.NewWriter(f, charmap.Windows1252.NewEncoder())
	}
	w := csv.NewWriter(out)
	if french {
		w.Comma = ';'
		w.UseCRLF = true
	}
	w.Write(header)
	w.WriteAll(rows)
	if err := w.Error(); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	if out != io.WriteCloser(f) {
		if err := out.Close(); err != nil { // flushes the encoder
			return fmt.Errorf("write index: %w", err)
		}
	}
	return f.Close()
}
