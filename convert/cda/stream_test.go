package cda

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/golden"
)

// compareStream converts raw with Convert and ConvertStream and reports
// where they disagree: the same reason when both refuse, the same JSON
// (metadata, hashes and problems) when both succeed.
func compareStream(t *testing.T, name string, raw []byte) {
	t.Helper()
	m := golden.Mappings(t)
	tree, terr := Convert(raw, m, time.UTC)
	stream, serr := ConvertStream(bytes.NewReader(raw), int64(len(raw)), m, time.UTC)
	if (terr == nil) != (serr == nil) {
		t.Errorf("%s: Convert error %v, ConvertStream error %v", name, terr, serr)
		return
	}
	if terr != nil {
		if got, want := docbridge.ReasonOf(serr), docbridge.ReasonOf(terr); got != want {
			t.Errorf("%s: ConvertStream refuses with %s (%v), Convert with %s (%v)", name, got, serr, want, terr)
		}
		return
	}
	got, _ := json.MarshalIndent(stream, "", " ")
	want, _ := json.MarshalIndent(tree, "", " ")
	if !bytes.Equal(got, want) {
		t.Errorf("%s: ConvertStream gives\n%s\nConvert gives\n%s", name, got, want)
	}
	if len(stream) == 1 && !stream[0].ContentIsInput {
		t.Errorf("%s: ConvertStream's document does not say its content is the input", name)
	}
}

// TestStreamMatchesTree: on the samples and on the shared corpus (when
// present), the streaming reader and the tree give the same documents.
func TestStreamMatchesTree(t *testing.T) {
	var paths []string
	for _, dir := range []string{samplesDir, golden.Corpus("cda-fr"), golden.Corpus("cda-hl7")} {
		p, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
		paths = append(paths, p...)
	}
	if len(paths) == 0 {
		t.Fatal("no sample found")
	}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		compareStream(t, filepath.Base(p), raw)
	}
}

// TestStreamPayloadVariants: level-1 bodies written in the ways XML allows
// (character references, CDATA, comments, a BOM, a declared encoding) and
// broken ones give the same result on both paths.
func TestStreamPayloadVariants(t *testing.T) {
	raw := sample(t, "cr-bio-n1-pdf.xml")
	body := regexp.MustCompile(`(?s)(<text[^>]*representation="B64"[^>]*>)(.*?)(</text>)`)
	loc := body.FindSubmatchIndex(raw)
	b64 := bytes.Join(bytes.Fields(raw[loc[4]:loc[5]]), nil)
	pdf, _ := base64.StdEncoding.DecodeString(string(b64))
	with := func(payload string) []byte {
		return append(append(append([]byte{}, raw[:loc[4]]...), payload...), raw[loc[5]:]...)
	}
	half := len(b64) / 2 / 4 * 4
	big := bytes.Repeat([]byte("%PDF-1.4 "), 40000)
	big = append(big, "\n%%EOF\n"...)
	tests := map[string][]byte{
		"intact":                  raw,
		"CRLF references":         with(strings.ReplaceAll(string(wrap(b64, 76)), "\n", "&#13;&#10;")),
		"hex references":          with(strings.ReplaceAll(string(wrap(b64, 64)), "\n", "&#xA;")),
		"split by a CDATA":        with(string(b64[:half]) + "<![CDATA[" + string(b64[half:]) + "]]>"),
		"split by a comment":      with(string(b64[:half]) + "<!-- c -->" + string(b64[half:])),
		"other entity":            with(string(b64[:half]) + "&amp;" + string(b64[half:])),
		"undefined entity":        with(string(b64[:half]) + "&nope;" + string(b64[half:])),
		"padding in the middle":   with(string(b64[:half-2]) + "==" + string(b64[half:])),
		"cut in the middle":       with(string(b64[:len(b64)/2+1])),
		"not base64":              with("this is not base64 !!!"),
		"truncated PDF":           with(base64.StdEncoding.EncodeToString(pdf[:len(pdf)/2/3*3])),
		"text, not a PDF":         with(base64.StdEncoding.EncodeToString([]byte("Bonjour"))),
		"empty":                   with("   \n  "),
		"longer than a block":     with(string(wrap([]byte(base64.StdEncoding.EncodeToString(big)), 76))),
		"BOM":                     append([]byte("\xEF\xBB\xBF"), raw...),
		"ISO-8859-1 (falls back)": bytes.Replace(raw, []byte(`encoding="UTF-8"`), []byte(`encoding="ISO-8859-1"`), 1),
		"declared US-ASCII":       bytes.Replace(raw, []byte(`encoding="UTF-8"`), []byte(`encoding="US-ASCII"`), 1),
		"unknown encoding":        bytes.Replace(raw, []byte(`encoding="UTF-8"`), []byte(`encoding="EBCDIC"`), 1),
		"bad UTF-8 in a comment":  bytes.Replace(raw, []byte("docbridge sample"), []byte("docbridge \xff sample"), 1),
		"DOCTYPE":                 bytes.Replace(raw, []byte("<ClinicalDocument"), []byte("<!DOCTYPE x [<!ENTITY a 'b'>]><ClinicalDocument"), 1),
		"truncated":               raw[:len(raw)-40],
		"undeclared prefix":       bytes.Replace(raw, []byte("<realmCode"), []byte("<zz:realmCode"), 1),
		"text after the root":     append(append([]byte{}, raw...), "junk"...),
		"mismatched end tag":      bytes.Replace(raw, []byte("</nonXMLBody>"), []byte("</nonXMLBodies>"), 1),
		"empty input":             []byte("  \n"),
	}
	for name, doc := range tests {
		compareStream(t, name, doc)
	}
}

// TestStreamSkipsPayload: the streamed tree does not hold the base64 text.
func TestStreamSkipsPayload(t *testing.T) {
	raw := sample(t, "cr-bio-n1-pdf.xml")
	st, err := parseStream(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	txt := find(st.doc.Root(), "component", "nonXMLBody", "text")
	if txt == nil || st.payloads[txt] == nil {
		t.Fatal("the level-1 text was not checked while streaming")
	}
	if got := len(txt.Text()); got > 100 {
		t.Errorf("the streamed tree holds %d bytes of text in the level-1 body, want only a marker", got)
	}
}

// FuzzStreamHeader: where both succeed, ConvertStream gives what Convert
// gives; where both refuse, for the same reason.
func FuzzStreamHeader(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(samplesDir, "*.xml"))
	for _, p := range paths {
		f.Add(sample(f, filepath.Base(p)))
	}
	f.Add([]byte(`<ClinicalDocument xmlns="urn:hl7-org:v3"><component><nonXMLBody><text mediaType="application/pdf" representation="B64">JVBERi0=&#10;<![CDATA[JUVPRg==]]></text></nonXMLBody></component></ClinicalDocument>`))
	f.Add([]byte("\xEF\xBB\xBF<ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>"))
	m := golden.Mappings(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		tree, terr := Convert(raw, m, time.UTC)
		stream, serr := ConvertStream(bytes.NewReader(raw), int64(len(raw)), m, time.UTC)
		if terr != nil || serr != nil {
			return
		}
		got, _ := json.Marshal(stream)
		want, _ := json.Marshal(tree)
		if !bytes.Equal(got, want) {
			t.Fatalf("ConvertStream gives\n%s\nConvert gives\n%s", got, want)
		}
	})
}
