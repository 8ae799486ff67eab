package convert

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/cda"
	"github.com/docbridge/docbridge/mappings"
)

// syntheticPDF is a PDF of any size made up on the fly: a header, filler
// and an end marker. It holds no buffer of its size.
type syntheticPDF struct{ size int64 }

var (
	pdfHeader = []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	pdfTrail  = []byte("\nstartxref\n0\n%%EOF\n")
	filler    = func() []byte {
		b := make([]byte, 64<<10)
		for i := range b {
			b[i] = "0123456789 abcdef\n"[i%18]
		}
		return b
	}()
)

func (s syntheticPDF) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) && off < s.size {
		switch {
		case off < int64(len(pdfHeader)):
			k := copy(p[n:], pdfHeader[off:])
			n, off = n+k, off+int64(k)
		case off >= s.size-int64(len(pdfTrail)):
			k := copy(p[n:], pdfTrail[off-(s.size-int64(len(pdfTrail))):])
			n, off = n+k, off+int64(k)
		default:
			end := min(s.size-int64(len(pdfTrail)), off+int64(len(p)-n))
			k := copy(p[n:n+int(end-off)], filler[off%int64(len(filler)):])
			n, off = n+k, off+int64(k)
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// BenchmarkConvertPDF converts synthetic 20 MB and 200 MB PDFs with a
// sidecar and reports the bytes allocated per conversion: they must not
// grow with the PDF's size (the PDF is streamed, never held in memory).
// Run it with go test -run XXX -bench ConvertPDF ./convert/.
func BenchmarkConvertPDF(b *testing.B) {
	m, err := mappings.Load("")
	if err != nil {
		b.Fatal(err)
	}
	o := Options{Mappings: m}
	origin := docbridge.Origin{Name: "cr.pdf", Sidecar: readFile(b, "pdf", "testdata", "cr-bio.json")}
	for _, mb := range []int64{20, 200} {
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) {
			pdf := syntheticPDF{size: mb << 20}
			b.SetBytes(pdf.size)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for b.Loop() {
				_, docs, err := New(o).Convert(pdf, pdf.size, origin)
				if err != nil || len(docs) != 1 || docs[0].Size != pdf.size {
					b.Fatalf("Convert = %d documents, %v", len(docs), err)
				}
			}
			runtime.ReadMemStats(&after)
			perOp := float64(after.TotalAlloc-before.TotalAlloc) / float64(b.N)
			b.ReportMetric(perOp/(1<<20), "alloc-MiB/op")
			if perOp > 4<<20 {
				b.Fatalf("Convert allocated %.1f MiB per %d MiB PDF: the PDF is not streamed", perOp/(1<<20), mb)
			}
		})
	}
}

// BenchmarkConvertCDA converts a dropped CDA of about 100 KB (the
// cr-bio-n1-pdf sample, its PDF grown) as the drop folder does: read
// whole, as Convert reads a CDA of at most 1 MiB, and in a stream, as it
// reads a bigger one.
func BenchmarkConvertCDA(b *testing.B) {
	m, err := mappings.Load("")
	if err != nil {
		b.Fatal(err)
	}
	raw := grownCDA(b, 100<<10)
	b.Run("whole", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			if _, docs, err := New(Options{Mappings: m}).Convert(bytes.NewReader(raw), int64(len(raw)), docbridge.Origin{}); err != nil || len(docs) != 1 {
				b.Fatalf("Convert = %d documents, %v", len(docs), err)
			}
		}
	})
	b.Run("stream", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			if docs, err := cda.ConvertStream(bytes.NewReader(raw), int64(len(raw)), m, nil); err != nil || len(docs) != 1 {
				b.Fatalf("ConvertStream = %d documents, %v", len(docs), err)
			}
		}
	})
}

// grownCDA is the cr-bio-n1-pdf sample with a PDF grown to make about
// size bytes in all.
func grownCDA(tb testing.TB, size int) []byte {
	s := string(readFile(tb, "..", "samples", "cr-bio-n1-pdf.xml"))
	const open = `representation="B64">`
	start, end := strings.Index(s, open)+len(open), strings.Index(s, "</text>")
	pdf := "%PDF-1.4\n" + strings.Repeat("0123456789abcdef", (size-len(s))*3/4/16) + "\n%%EOF\n"
	var b64 strings.Builder
	for enc := base64.StdEncoding.EncodeToString([]byte(pdf)); enc != ""; {
		n := min(76, len(enc))
		b64.WriteString("\n" + enc[:n])
		enc = enc[n:]
	}
	return []byte(s[:start] + b64.String() + "\n" + s[end:])
}
