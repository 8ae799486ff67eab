package cda

import (
	"strings"
	"testing"
	"time"
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
	m := testMappings(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		docs, err := Convert(raw, m, time.UTC)
		if err != nil || len(docs[0].Problems) != 0 {
			b.Fatalf("Convert: %v %+v", err, docs)
		}
	}
}
