package convert

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/hl7"
	"github.com/docbridge/docbridge/mappings"
)

func TestConvert(t *testing.T) {
	m, err := mappings.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cda, err := os.ReadFile(filepath.Join(samplesDir, "cr-bio-n1-pdf.xml"))
	if err != nil {
		t.Fatal(err)
	}
	oru, err := os.ReadFile(filepath.Join(samplesDir, "oru-r01-cr-bio.hl7"))
	if err != nil {
		t.Fatal(err)
	}
	iti105 := readFile(t, "fhir", "testdata", "iti105-pdf.json")
	pdfBytes := readFile(t, "pdf", "testdata", "cr-bio.pdf")
	tests := []struct {
		name       string
		in         []byte
		o          Options
		wantFormat docbridge.Format
		wantDocs   int
		wantReason docbridge.Reason
		wantMsg    string
	}{
		{"cda", cda, Options{Mappings: m}, docbridge.FormatCDA, 1, "", ""},
		{"cda at the limit", cda, Options{Mappings: m, MaxSize: int64(len(cda))}, docbridge.FormatCDA, 1, "", ""},
		{"too large", cda, Options{Mappings: m, MaxSize: int64(len(cda)) - 1}, "", 0, docbridge.TooLarge, "over the limit"},
		{"cda refused", []byte(`<!DOCTYPE ClinicalDocument [<!ENTITY a "b">]><ClinicalDocument/>`), Options{Mappings: m},
			docbridge.FormatCDA, 0, docbridge.ForbiddenConstruct, "DOCTYPE"},
		{"no mappings", cda, Options{}, docbridge.FormatCDA, 0, docbridge.Internal, "Mappings"},
		{"fhir searchset", []byte(`{"resourceType":"Bundle","type":"searchset"}`), Options{Mappings: m}, docbridge.FormatFHIR, 0, docbridge.UnsupportedFormat, "searchset"},
		{"fhir ITI-105", iti105, Options{Mappings: m}, docbridge.FormatFHIR, 1, "", ""},
		{"fhir without mappings", iti105, Options{}, docbridge.FormatFHIR, 0, docbridge.Internal, "Mappings"},
		{"hl7v2 ORU", oru, Options{Mappings: m}, docbridge.FormatHL7v2, 1, "", ""},
		{"hl7v2 ORU in an MLLP frame", hl7.Frame(oru), Options{Mappings: m}, docbridge.FormatHL7v2, 1, "", ""},
		{"hl7v2 ADT", []byte("MSH|^~\\&|A|B|C|D|||ADT^A01|1|P|2.5\r"), Options{Mappings: m}, docbridge.FormatHL7v2, 0, docbridge.UnsupportedFormat, "not a document"},
		{"hl7v2 without mappings", oru, Options{}, docbridge.FormatHL7v2, 0, docbridge.Internal, "Mappings"},
		{"pdf without its origin", pdfBytes, Options{Mappings: m}, docbridge.FormatPDF, 0, docbridge.MissingMetadata, "sidecar"},
		{"unknown", []byte("hello"), Options{Mappings: m}, "", 0, docbridge.UnsupportedFormat, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, docs, err := New(tt.o).Convert(bytes.NewReader(tt.in), int64(len(tt.in)), docbridge.Origin{})
			if f != tt.wantFormat || len(docs) != tt.wantDocs || docbridge.ReasonOf(err) != tt.wantReason {
				t.Fatalf("Convert = %q, %d documents, %v; want %q, %d, %q", f, len(docs), err, tt.wantFormat, tt.wantDocs, tt.wantReason)
			}
			if !strings.Contains(docbridge.MessageOf(err), tt.wantMsg) {
				t.Errorf("message %q does not mention %q", docbridge.MessageOf(err), tt.wantMsg)
			}
		})
	}
}

// TestConvertCDASendsTheInput: a CDA read whole (at most 1 MiB) and one
// read in a stream (bigger) both become a document whose content is the
// input itself — ContentIsInput, no Content of its own — with the input's
// size and hash.
func TestConvertCDASendsTheInput(t *testing.T) {
	m, err := mappings.Load("")
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{100 << 10, 3 << 19} {
		raw := grownCDA(t, size)
		_, docs, err := New(Options{Mappings: m}).Convert(bytes.NewReader(raw), int64(len(raw)), docbridge.Origin{})
		if err != nil || len(docs) != 1 {
			t.Fatalf("%d bytes: Convert = %d documents, %v", len(raw), len(docs), err)
		}
		d, sum := docs[0], sha256.Sum256(raw)
		if !d.ContentIsInput || d.Content != nil || d.Size != int64(len(raw)) || d.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%d bytes: ContentIsInput %v, %d bytes of Content, size %d, sha256 %s; want the input as content",
				len(raw), d.ContentIsInput, len(d.Content), d.Size, d.SHA256)
		}
	}
}
