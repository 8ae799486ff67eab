// Package bulkgen writes synthetic practice archives for the bulk command's
// tests and benchmarks: CDA documents built from the lab-report sample with
// distinct ids, spread over synthetic patients (some paired, some not) and
// years, PDFs with and without sidecar, a share of defective files, and a
// CSV index. Every person in them is fictitious and uses the test INS OID
// 1.2.250.1.213.1.4.10, so an archive only goes through with environment:
// test.
package bulkgen

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/samples"
)

// Kind is what a generated file is meant to become.
type Kind string

// The kinds of generated files.
const (
	Paired     Kind = "paired"      // valid CDA of a paired patient: delivered
	Unpaired   Kind = "unpaired"    // valid CDA of a patient without pairing: held not-paired
	BadINSKey  Kind = "bad-ins-key" // failed ins-invalid
	Doctype    Kind = "doctype"     // failed forbidden-construct
	Truncated  Kind = "truncated"   // failed malformed
	FHIR       Kind = "fhir"        // a transaction Bundle: failed unsupported-format
	PDF        Kind = "pdf"         // PDF with a valid sidecar, of a paired patient: delivered
	BarePDF    Kind = "bare-pdf"    // PDF without sidecar nor index row, named after no pattern: failed missing-metadata
	Unreadable Kind = "unreadable"  // a dangling symbolic link: unreadable
)

// Options says what to generate.
type Options struct {
	Dir       string // the archive directory; created
	Documents int    // how many files in all (sidecars and the index aside)
	// Patients is how many synthetic patients; 0 means max(6, Documents/50).
	Patients int
}

// Manifest is what was generated: the count per kind and the patients.
type Manifest struct {
	Files    int                 `json:"files"`
	Kinds    map[Kind]int        `json:"kinds"`
	Sidecars int                 `json:"sidecars"`         // one per PDF document, not counted in Files
	Pairings []docbridge.Pairing `json:"pairings"`         // the paired patients, with placeholder tokens
	Unpaired int                 `json:"unpairedPatients"` // patients with at least one Unpaired document
	Index    IndexCounts         `json:"index"`
}

// IndexCounts says how the generated index.csv relates to the files.
type IndexCounts struct {
	Rows            int `json:"rows"`
	FilesWithoutRow int `json:"filesWithoutRow"`
	RowsWithoutFile int `json:"rowsWithoutFile"`
}

// kindAt is the kind of file i: a fixed cycle of 100, so that shares are
// exact for multiples of 100 and the archive is the same on every run.
func kindAt(i int) Kind {
	switch r := i % 100; {
	case r < 60:
		return Paired
	case r < 85:
		return Unpaired
	case r < 88:
		return BadINSKey
	case r < 90:
		return Doctype
	case r < 92:
		return Truncated
	case r < 94:
		return FHIR
	case r < 95:
		return PDF
	case r < 96:
		return BarePDF
	case r < 97:
		return Unreadable
	default:
		return Paired
	}
}

// Generate writes the archive of o into o.Dir (which must not exist or be
// empty) and returns its manifest. Patients with an even number are paired;
// paired documents (CDA and PDF) go to them, unpaired ones to the odd ones.
// A PDF's sidecar takes in turn each name the bulk walker pairs:
// doc.json, doc.yaml, doc.pdf.json.
func Generate(o Options) (Manifest, error) {
	tmpl, err := fs.ReadFile(samples.FS, "cr-bio-n1-pdf.xml")
	if err != nil {
		return Manifest{}, fmt.Errorf("read template: %w", err)
	}
	np := o.Patients
	if np <= 0 {
		np = max(6, o.Documents/50)
	}
	if np%2 == 1 {
		np++
	}
	pts := make([]docbridge.Patient, np)
	for i := range pts {
		pts[i] = patient(i)
	}
	m := Manifest{Kinds: map[Kind]int{}}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return m, fmt.Errorf("create archive %s: %w", o.Dir, err)
	}
	idxf, err := os.OpenFile(filepath.Join(o.Dir, "index.csv"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return m, fmt.Errorf("create index: %w", err)
	}
	defer idxf.Close()
	idx := csv.NewWriter(idxf)
	idx.Write([]string{"file", "ins", "ins_system", "birth_name", "first_names", "birth_date", "sex", "birth_place", "type_code", "type_system", "creation"})
	unpairedSeen := map[int]bool{}
	for i := 0; i < o.Documents; i++ {
		k := kindAt(i)
		// Even patients are paired: paired documents to 2j, unpaired to 2j+1.
		pi := (i % (np / 2)) * 2
		if k == Unpaired {
			pi++
			unpairedSeen[pi] = true
		}
		p := pts[pi]
		year := 2010 + i%16
		rel := filepath.Join(folder(p), fmt.Sprint(year), fmt.Sprintf("doc-%06d", i))
		full := filepath.Join(o.Dir, rel)
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			return m, fmt.Errorf("create folder: %w", err)
		}
		var name string
		switch k {
		case Paired, Unpaired, BadINSKey, Doctype, Truncated:
			name = rel + ".xml"
			err = os.WriteFile(filepath.Join(o.Dir, name), cda(tmpl, i, p, year, k), 0o600)
		case FHIR:
			name = rel + ".json"
			err = os.WriteFile(filepath.Join(o.Dir, name), fmt.Appendf(nil, `{"resourceType":"Bundle","id":"bulkgen-%d","type":"transaction","entry":[]}`, i), 0o600)
		case PDF, BarePDF:
			name = rel + ".pdf"
			err = os.WriteFile(filepath.Join(o.Dir, name), pdfDocument(i), 0o600)
			if err == nil && k == PDF {
				err = writeSidecar(filepath.Join(o.Dir, rel), i, p, year)
				m.Sidecars++
			}
		case Unreadable:
			// Tests run as root, where chmod 000 blocks nothing: a link to
			// a file that does not exist cannot be read by anyone.
			name = rel + ".xml"
			err = os.Symlink(filepath.Join(o.Dir, "missing", fmt.Sprintf("gone-%d.xml", i)), filepath.Join(o.Dir, name))
		}
		if err != nil {
			return m, fmt.Errorf("write %s: %w", name, err)
		}
		m.Files++
		m.Kinds[k]++
		// A file the practice software did not list; a bare PDF has no row
		// either, or its row would be its sidecar.
		if i%50 == 7 || k == BarePDF {
			m.Index.FilesWithoutRow++
			continue
		}
		writeRow(idx, filepath.ToSlash(name), p, year)
		m.Index.Rows++
	}
	for j := 0; j < max(1, o.Documents/200); j++ { // rows whose file was lost
		writeRow(idx, fmt.Sprintf("lost/doc-lost-%d.xml", j), pts[0], 2010)
		m.Index.Rows++
		m.Index.RowsWithoutFile++
	}
	idx.Flush()
	if err := idx.Error(); err != nil {
		return m, fmt.Errorf("write index: %w", err)
	}
	for i := 0; i < np; i += 2 {
		m.Pairings = append(m.Pairings, docbridge.Pairing{
			ID: fmt.Sprintf("bulkgen-pairing-%d", i), MESPatient: fmt.Sprintf("bulkgen-mes-%d", i),
			Patient: pts[i], AccessToken: "placeholder", CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		})
	}
	m.Unpaired = len(unpairedSeen)
	return m, idxf.Close()
}

func writeRow(w *csv.Writer, file string, p docbridge.Patient, year int) {
	w.Write([]string{file, p.INS, strings.TrimPrefix(p.INSSystem, "urn:oid:"), p.BirthName, strings.Join(p.FirstNames, " "),
		p.BirthDate, p.Sex, p.BirthPlace, "11502-2", "2.16.840.1.113883.6.1", fmt.Sprintf("%d-03-01", year)})
}

// folder is a patient's folder, named as practice software often does:
// after the patient. It is patient data, which is why paths are never logged.
func folder(p docbridge.Patient) string {
	return p.BirthName + "_" + p.FirstNames[0]
}

var firsts = []string{"ALICE", "BRUNO", "CHLOE", "DAVID", "EMMA", "FELIX", "GINA", "HUGO"}

// patient i is a synthetic identity with a valid INS (test OID) whose
// birthplace is Paris.
func patient(i int) docbridge.Patient {
	sex := 1 + i%2
	mm := 1 + i%12
	yy := 40 + (i/12)%60
	order := 1 + i/720
	base := fmt.Sprintf("%d%02d%02d75056%03d", sex, yy, mm, order)
	var n int64
	fmt.Sscan(base, &n)
	ins := fmt.Sprintf("%s%02d", base, 97-n%97)
	s := map[int]string{1: "M", 2: "F"}[sex]
	return docbridge.Patient{
		INS: ins, INSSystem: "urn:oid:1.2.250.1.213.1.4.10",
		BirthName: "BULKTEST-" + letters(i), FirstNames: []string{firsts[i%len(firsts)], "MARIE"},
		BirthDate: fmt.Sprintf("19%02d-%02d-%02d", yy, mm, 1+i%28), Sex: s, BirthPlace: "75056",
	}
}

func letters(i int) string {
	b := []byte("AAAA")
	for j := 3; j >= 0; j-- {
		b[j] = byte('A' + i%26)
		i /= 26
	}
	return string(b)
}

// cda is the template made into document i of patient p, defective as k says.
func cda(tmpl []byte, i int, p docbridge.Patient, year int, k Kind) []byte {
	ins := p.INS
	if k == BadINSKey {
		key := (int(ins[13]-'0')*10 + int(ins[14]-'0') + 1) % 97
		ins = fmt.Sprintf("%s%02d", ins[:13], key)
	}
	gender := map[string]string{"M": `code="M" displayName="Masculin"`, "F": `code="F" displayName="Féminin"`}[p.Sex]
	r := strings.NewReplacer(
		`<id root="1.2.250.1.999.42.1.1001"/>`, fmt.Sprintf(`<id root="1.2.250.1.999.77.1.%d"/>`, i+1),
		`<setId root="1.2.250.1.999.42.2.1001"/>`, fmt.Sprintf(`<setId root="1.2.250.1.999.77.2.%d"/>`, i+1),
		`extension="285047505612322"`, `extension="`+ins+`"`,
		"DOCBRIDGE-TEST", p.BirthName,
		"<given>CAMILLE MARIE-ANNE</given>", "<given>"+strings.Join(p.FirstNames, " ")+"</given>",
		">CAMILLE</given>", ">"+p.FirstNames[0]+"</given>",
		`code="F" displayName="Féminin"`, gender,
		`<birthTime value="19850417"/>`, `<birthTime value="`+strings.ReplaceAll(p.BirthDate, "-", "")+`"/>`,
		"20250114093000+0100", fmt.Sprintf("%d0114093000+0100", year),
	)
	out := []byte(r.Replace(string(tmpl)))
	switch k {
	case Doctype:
		out = bytes.Replace(out, []byte("?>\n"), []byte("?>\n<!DOCTYPE ClinicalDocument [ <!ENTITY lab \"x\"> ]>\n"), 1)
	case Truncated:
		out = out[:len(out)/2]
	}
	return out
}
