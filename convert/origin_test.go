package convert

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/fhir"
	"github.com/docbridge/docbridge/mappings"
)

// readFile reads a file under the convert directory.
func readFile(t testing.TB, elem ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(elem...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// brokenReader fails every read.
type brokenReader struct{}

func (brokenReader) ReadAt([]byte, int64) (int, error) { return 0, errors.New("disk on fire") }

// jsonHead is a FHIR input of any claimed size: its first bytes are JSON.
type jsonHead struct{}

func (jsonHead) ReadAt(p []byte, off int64) (int, error) {
	return copy(p, `{"resourceType": "DocumentReference"`[min(off, 36):]), nil
}

func TestConvertWithOrigin(t *testing.T) {
	m, err := mappings.Load("")
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Mappings: m}
	pdfBytes := readFile(t, "pdf", "testdata", "cr-bio.pdf")
	sidecar := readFile(t, "pdf", "testdata", "cr-bio.json")
	cda := readFile(t, samplesDir, "cr-bio-n1-pdf.xml")
	iti105 := readFile(t, "fhir", "testdata", "iti105-pdf.json")
	tests := []struct {
		name       string
		r          io.ReaderAt
		size       int64
		origin     docbridge.Origin
		o          Options
		wantFormat docbridge.Format
		wantDocs   int
		wantReason docbridge.Reason
		wantMsg    string // of the refusal, or of a problem of the first document
	}{
		{"pdf with sidecar", bytes.NewReader(pdfBytes), int64(len(pdfBytes)), docbridge.Origin{Name: "x.pdf", Sidecar: sidecar}, o,
			docbridge.FormatPDF, 1, "", ""},
		{"pdf named by pattern", bytes.NewReader(pdfBytes), int64(len(pdfBytes)), docbridge.Origin{Name: "285047505612322_11502-2_20250301.pdf"}, o,
			docbridge.FormatPDF, 1, "", "the file name pattern's) and no source profile applies"},
		{"pdf without metadata", bytes.NewReader(pdfBytes), int64(len(pdfBytes)), docbridge.Origin{Name: "scan.pdf"}, o,
			docbridge.FormatPDF, 0, docbridge.MissingMetadata, "sidecar"},
		{"pdf over the limit", bytes.NewReader(pdfBytes), int64(len(pdfBytes)), docbridge.Origin{Sidecar: sidecar}, Options{Mappings: m, MaxSize: 100},
			"", 0, docbridge.TooLarge, "over the limit"},
		{"cda streamed", bytes.NewReader(cda), int64(len(cda)), docbridge.Origin{Name: "x.xml"}, o, docbridge.FormatCDA, 1, "", ""},
		{"cda with a stray sidecar", bytes.NewReader(cda), int64(len(cda)), docbridge.Origin{Name: "x.xml", Sidecar: []byte("{}")}, o,
			docbridge.FormatCDA, 1, "", "sidecar came with this input"},
		{"fhir read whole", bytes.NewReader(iti105), int64(len(iti105)), docbridge.Origin{}, o, docbridge.FormatFHIR, 1, "", ""},
		{"fhir too big to read", jsonHead{}, fhir.MaxSize + 1, docbridge.Origin{}, o, docbridge.FormatFHIR, 0, docbridge.TooLarge, "128 MiB"},
		{"unreadable", brokenReader{}, 10, docbridge.Origin{}, o, "", 0, docbridge.Internal, "read the stored input"},
		{"not detected", strings.NewReader("hello"), 5, docbridge.Origin{}, o, "", 0, docbridge.UnsupportedFormat, "not a CDA"},
		{"no mappings", bytes.NewReader(pdfBytes), int64(len(pdfBytes)), docbridge.Origin{Sidecar: sidecar}, Options{},
			docbridge.FormatPDF, 0, docbridge.Internal, "Mappings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, docs, err := New(tt.o).Convert(tt.r, tt.size, tt.origin)
			if f != tt.wantFormat || len(docs) != tt.wantDocs || docbridge.ReasonOf(err) != tt.wantReason {
				t.Fatalf("Convert = %q, %d documents, %v; want %q, %d, %q", f, len(docs), err, tt.wantFormat, tt.wantDocs, tt.wantReason)
			}
			msg := docbridge.MessageOf(err)
			if err == nil && len(docs) > 0 {
				for _, p := range docs[0].Problems {
					msg += "\n" + p.Message
				}
			}
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("messages %q do not mention %q", msg, tt.wantMsg)
			}
			if tt.wantFormat == docbridge.FormatPDF && len(docs) == 1 && (!docs[0].ContentIsInput || docs[0].Content != nil) {
				t.Errorf("PDF document: ContentIsInput %v, %d content bytes; want the input, no copy", docs[0].ContentIsInput, len(docs[0].Content))
			}
		})
	}
}
