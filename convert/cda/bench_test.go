package cda

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge/convert/internal/golden"
)

// benchDocument builds a structured CR-BIO of about 100 KB from the
// cr-bio-structured sample by repeating its result section.
func benchDocument(tb testing.TB) []byte {
	s := string(sample(tb, "cr-bio-structured.xml"))
	start := strings.Index(s, "      <component>\n        <section>")
	end := strings.Index(s, "    </structuredBody>")
	if start < 0 || end < 0 {
		tb.Fatal("cr-bio-structured.xml has no section to repeat")
	}
	section := s[start:end]
	n := (100<<10 - len(s)) / len(section)
	return []byte(s[:end] + strings.Repeat(section, n) + s[end:])
}

func BenchmarkConvert(b *testing.B) {
	raw := benchDocument(b)
	m := golden.Mappings(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		docs, err := Convert(raw, m, time.UTC)
		if err != nil || len(docs[0].Problems) != 0 {
			b.Fatalf("Convert: %v %+v", err, docs)
		}
	}
}

// benchLevelOne builds a level-1 CR-BIO of about 100 KB: the
// cr-bio-n1-pdf sample with its PDF grown.
func benchLevelOne(tb testing.TB) []byte {
	s := string(sample(tb, "cr-bio-n1-pdf.xml"))
	pdf := "%PDF-1.4\n" + strings.Repeat("0123456789abcdef", 75<<10/16) + "\n%%EOF\n"
	var b64 strings.Builder
	enc := base64.StdEncoding.EncodeToString([]byte(pdf))
	for len(enc) > 76 {
		b64.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	b64.WriteString(enc + "\n")
	start := strings.Index(s, `representation="B64">`) + len(`representation="B64">`)
	end := strings.Index(s, "</text>")
	return []byte(s[:start] + "\n" + b64.String() + s[end:])
}

func benchConvertStream(b *testing.B, raw []byte) {
	m := golden.Mappings(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		docs, err := ConvertStream(bytes.NewReader(raw), int64(len(raw)), m, time.UTC)
		if err != nil || len(docs[0].Problems) != 0 {
			b.Fatalf("ConvertStream: %v %+v", err, docs)
		}
	}
}

func BenchmarkConvertStream(b *testing.B) { benchConvertStream(b, benchDocument(b)) }

func BenchmarkConvertLevelOne(b *testing.B) {
	raw := benchLevelOne(b)
	m := golden.Mappings(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		docs, err := Convert(raw, m, time.UTC)
		if err != nil || len(docs[0].Problems) != 0 {
			b.Fatalf("Convert: %v %+v", err, docs)
		}
	}
}

func BenchmarkConvertStreamLevelOne(b *testing.B) { benchConvertStream(b, benchLevelOne(b)) }
