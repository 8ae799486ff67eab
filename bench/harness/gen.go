package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"

	"github.com/docbridge/docbridge/samples"
)

// The generated documents are synthetic: they are the project's samples
// (written for docbridge, fictitious people, the test INS of the paired
// sample patient of samples/pairings.json) with a new document id and a
// body grown to the wanted size.

var (
	docIDRe   = regexp.MustCompile(`<id root="1\.2\.250\.1\.999\.42\.1\.100[12]"/>`)
	b64BodyRe = regexp.MustCompile(`(?s)(representation="B64">)(.*?)(</text>)`)
	sectionRe = regexp.MustCompile(`(?s)<component>\s*<section>.*?</section>\s*</component>`)
)

// templates holds the two sample reports the generator starts from.
type templates struct {
	n1, structured []byte
}

func loadTemplates() (*templates, error) {
	n1, err := fs.ReadFile(samples.FS, "cr-bio-n1-pdf.xml")
	if err != nil {
		return nil, fmt.Errorf("read sample: %w", err)
	}
	st, err := fs.ReadFile(samples.FS, "cr-bio-structured.xml")
	if err != nil {
		return nil, fmt.Errorf("read sample: %w", err)
	}
	if !docIDRe.Match(n1) || !docIDRe.Match(st) || !b64BodyRe.Match(n1) || !sectionRe.Match(st) {
		return nil, fmt.Errorf("the samples changed: the generator's patterns no longer match")
	}
	return &templates{n1: n1, structured: st}, nil
}

// docRoot is the OID root of generated document ids: document i of run r
// is <docRoot>.<r>.<i>.
const docRoot = "1.2.250.1.999.4242"

// uniqueID is the docbridge uniqueId of a generated document id root.
func uniqueID(root string) string { return "urn:oid:" + root }

// setID gives a document its own id.
func setID(doc []byte, root string) []byte {
	return docIDRe.ReplaceAll(doc, []byte(`<id root="`+root+`"/>`))
}

// fakePDF returns a PDF-looking file of n bytes: the signature, filler
// and the end marker, which is what docbridge checks of an embedded PDF.
func fakePDF(rng *rand.Rand, n int) []byte {
	head := []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 0 >>\nstream\n")
	tail := []byte("\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	b := make([]byte, max(n, len(head)+len(tail)))
	copy(b, head)
	for i := len(head); i < len(b)-len(tail); i++ {
		b[i] = byte(rng.IntN(256))
	}
	copy(b[len(b)-len(tail):], tail)
	return b
}

// wrap76 writes base64 of b in lines of 76 characters.
func wrap76(w io.Writer, b []byte) {
	s := base64.StdEncoding.EncodeToString(b)
	for len(s) > 76 {
		io.WriteString(w, s[:76]+"\n")
		s = s[76:]
	}
	io.WriteString(w, s+"\n")
}

// smallDoc returns a CR-BIO of about size bytes: level 1 with a PDF when
// i is even, structured otherwise.
func (t *templates) smallDoc(rng *rand.Rand, root string, i, size int) []byte {
	if i%2 == 0 {
		doc := setID(t.n1, root)
		pdf := fakePDF(rng, (size-len(doc))*3/4)
		var body bytes.Buffer
		body.WriteString("\n")
		wrap76(&body, pdf)
		return b64BodyRe.ReplaceAllFunc(doc, func(m []byte) []byte {
			sub := b64BodyRe.FindSubmatch(m)
			return append(append(append([]byte{}, sub[1]...), body.Bytes()...), sub[3]...)
		})
	}
	doc := setID(t.structured, root)
	loc := sectionRe.FindIndex(doc)
	sec := doc[loc[0]:loc[1]]
	var b bytes.Buffer
	b.Write(doc[:loc[1]])
	for k := 2; b.Len()+len(sec)+(len(doc)-loc[1]) < size; k++ {
		b.WriteString("\n      ")
		b.Write(bytes.Replace(sec, []byte(`1.2.250.1.999.42.3.1"`), []byte(fmt.Sprintf(`1.2.250.1.999.42.3.%d"`, k)), 1))
	}
	b.Write(doc[loc[1]:])
	return b.Bytes()
}

// writeLargeDoc writes to path a CDA level 1 carrying a pdfBytes PDF,
// streaming: the generator never holds the document in memory. It returns
// the file's size.
func (t *templates) writeLargeDoc(path, root string, pdfBytes int64) (int64, error) {
	doc := setID(t.n1, root)
	loc := b64BodyRe.FindSubmatchIndex(doc)
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", path, err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	w.Write(doc[:loc[3]])
	w.WriteString("\n")
	lw := &lineWriter{w: w}
	enc := base64.NewEncoder(base64.StdEncoding, lw)
	rng := rand.New(rand.NewPCG(1, 2))
	chunk := make([]byte, 1<<20)
	head := []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 0 >>\nstream\n")
	tail := []byte("\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	enc.Write(head)
	left := pdfBytes - int64(len(head)+len(tail))
	for left > 0 {
		n := min(int64(len(chunk)), left)
		for i := 0; i < int(n); i += 8 {
			v := rng.Uint64()
			for j := 0; j < 8 && i+j < int(n); j++ {
				chunk[i+j] = byte(v >> (8 * j))
			}
		}
		enc.Write(chunk[:n])
		left -= n
	}
	enc.Write(tail)
	enc.Close()
	w.WriteString("\n")
	w.Write(doc[loc[6]:])
	if err := w.Flush(); err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), f.Close()
}

// lineWriter breaks base64 text into lines of 76 characters.
type lineWriter struct {
	w   io.Writer
	col int
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(76-l.col, len(p))
		if _, err := l.w.Write(p[:k]); err != nil {
			return 0, err
		}
		p, l.col = p[k:], l.col+k
		if l.col == 76 {
			l.w.Write([]byte{'\n'})
			l.col = 0
		}
	}
	return n, nil
}

// oruMessage is a synthetic ORU^R01 carrying a small CDA (the level-1
// sample) for the paired sample patient, with its own control id and
// document id.
func (t *templates) oruMessage(controlID, root string) []byte {
	cda := setID(t.n1, root)
	segs := []string{
		"MSH|^~\\&|LIS-BENCH|LABO-DB|DOCBRIDGE|MES|20250114093500||ORU^R01^ORU_R01|" + controlID + "|P|2.5|||||FRA|UNICODE UTF-8|||2.1^CISIS_CDA_HL7_V2",
		"PID|1||285047505612322^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L||19850417|F|||~^^^^^^BDL^^75056",
		"ORC|NW",
		"OBR|1|||11502-2^CR d'examens biologiques^LN",
		"OBX|1|ED|11502-2^CR d'examens biologiques^LN||^TEXT^XML^Base64^" + base64.StdEncoding.EncodeToString(cda) + "||||||F",
	}
	return []byte(strings.Join(segs, "\r") + "\r")
}
