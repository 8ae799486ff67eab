package cda

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/golden"
)

// sample returns one of the project's synthetic samples.
func sample(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(samplesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func reasonOf(t *testing.T, err error) docbridge.Reason {
	t.Helper()
	var e *docbridge.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *docbridge.Error", err, err)
	}
	return e.Reason
}

// TestHostileXML checks every whole-input refusal of the XML policy: each
// input is refused with the right reason, promptly and without a panic.
func TestHostileXML(t *testing.T) {
	m := golden.Mappings(t)
	cda := string(sample(t, "cr-bio-n1-pdf.xml"))
	open := `<ClinicalDocument xmlns="urn:hl7-org:v3">`

	garbage := make([]byte, 100<<20)
	rng := rand.NewChaCha8([32]byte{1})
	_, _ = rng.Read(garbage)

	tests := []struct {
		name    string
		in      []byte
		want    docbridge.Reason
		wantMsg string
	}{
		{"doctype with entities", []byte(`<?xml version="1.0"?>
<!DOCTYPE ClinicalDocument [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
  <!ENTITY internal "INTERNAL">
]>
` + open + `<title>&xxe;&internal;</title></ClinicalDocument>`), docbridge.ForbiddenConstruct, "DOCTYPE"},
		{"external dtd", []byte(`<!DOCTYPE ClinicalDocument SYSTEM "http://127.0.0.1:1/evil.dtd">` + open + `</ClinicalDocument>`),
			docbridge.ForbiddenConstruct, "DOCTYPE"},
		{"billion laughs", []byte(billionLaughs()), docbridge.ForbiddenConstruct, "DOCTYPE"},
		{"parameter entity, no reference", []byte(`<!DOCTYPE x [<!ENTITY % remote SYSTEM "http://127.0.0.1:1/x">%remote;]>` + open + `</ClinicalDocument>`),
			docbridge.ForbiddenConstruct, "DOCTYPE"},
		{"doctype inside the root", []byte(open + `<!DOCTYPE x [<!ENTITY a "b">]><title>&a;</title></ClinicalDocument>`),
			docbridge.ForbiddenConstruct, "DOCTYPE"},
		{"directive inside the root", []byte(open + `<!DOCTYPE x></ClinicalDocument>`), docbridge.ForbiddenConstruct, "DOCTYPE"},
		{"10000-deep nesting", []byte(open + strings.Repeat("<a>", 10000) + strings.Repeat("</a>", 10000) + "</ClinicalDocument>"),
			docbridge.ForbiddenConstruct, "nested deeper"},
		{"100 MB of garbage", garbage, docbridge.Malformed, ""},
		{"wrong namespace", []byte(`<ClinicalDocument xmlns="urn:example:other"><id root="1.2.3"/></ClinicalDocument>`),
			docbridge.UnsupportedFormat, "urn:example:other"},
		{"no namespace", []byte(`<ClinicalDocument><id root="1.2.3"/></ClinicalDocument>`), docbridge.UnsupportedFormat, "namespace"},
		{"c-cda fragment", []byte(`<section xmlns="urn:hl7-org:v3"><title>Results</title></section>`), docbridge.UnsupportedFormat, "fragment"},
		{"fhir xml", []byte(`<Bundle xmlns="http://hl7.org/fhir"><type value="transaction"/></Bundle>`), docbridge.UnsupportedFormat, "FHIR"},
		{"unbound prefix", []byte(open + `<value xsi:type="PQ"/></ClinicalDocument>`), docbridge.Malformed, "prefix"},
		{"not xml", []byte("hello, this is not XML\n"), docbridge.Malformed, ""},
		{"json", []byte(`{"resourceType":"Bundle"}`), docbridge.Malformed, ""},
		{"empty", nil, docbridge.Malformed, "empty"},
		{"blank", []byte(" \r\n\t"), docbridge.Malformed, "empty"},
		{"truncated", []byte(cda[:len(cda)/2]), docbridge.Malformed, "truncated"},
		{"two roots", []byte(open + `</ClinicalDocument><ClinicalDocument/>`), docbridge.Malformed, ""},
		{"mismatched tags", []byte(open + `<title></code></ClinicalDocument>`), docbridge.Malformed, "line 1: an element is closed"},
		{"undefined entity", []byte(open + `<title>&nbsp;</title></ClinicalDocument>`), docbridge.Malformed, "entity reference"},
		{"unsupported encoding", []byte(`<?xml version="1.0" encoding="EBCDIC-FR"?>` + open + `</ClinicalDocument>`),
			docbridge.UnsupportedFormat, "EBCDIC-FR"},
		{"utf-16", append([]byte{0xFF, 0xFE}, utf16le(open+"</ClinicalDocument>")...), docbridge.Malformed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := Convert(tt.in, m, nil)
			if err == nil {
				t.Fatalf("Convert succeeded with %d documents, want a %s refusal", len(docs), tt.want)
			}
			t.Logf("%v", err)
			if docs != nil {
				t.Errorf("Convert returned documents with an error")
			}
			if got := reasonOf(t, err); got != tt.want {
				t.Errorf("reason = %s (%v), want %s", got, err, tt.want)
			}
			if msg := docbridge.MessageOf(err); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q does not mention %q", msg, tt.wantMsg)
			}
		})
	}
}

func TestTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates MaxSize bytes")
	}
	raw := make([]byte, MaxSize+1) // zero pages: not touched by the size check
	_, err := Convert(raw, golden.Mappings(t), nil)
	if got := reasonOf(t, err); got != docbridge.TooLarge {
		t.Errorf("reason = %s, want %s", got, docbridge.TooLarge)
	}
}

func TestNilMappings(t *testing.T) {
	_, err := Convert(sample(t, "cr-bio-n1-pdf.xml"), nil, nil)
	if got := reasonOf(t, err); got != docbridge.Internal {
		t.Errorf("reason = %s, want %s", got, docbridge.Internal)
	}
}

// TestEncodings checks a BOM, ISO-8859-1 and a namespace prefix on every
// element give the same metadata as the plain UTF-8 sample, while the content
// stays the exact input bytes.
func TestEncodings(t *testing.T) {
	base := sample(t, "lettre-liaison-sortie.xml")
	want := convertOne(t, base)

	latin1 := []byte(strings.Replace(string(base), `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1))
	latin1 = toLatin1(t, latin1)
	prefixed := regexp.MustCompile(`<(/?)([A-Za-z])`).ReplaceAll(base, []byte("<${1}hl7:$2"))
	prefixed = bytes.Replace(prefixed, []byte(`xmlns="urn:hl7-org:v3"`), []byte(`xmlns:hl7="urn:hl7-org:v3"`), 1)

	for name, in := range map[string][]byte{
		"bom":      append([]byte("\xEF\xBB\xBF"), base...),
		"latin1":   latin1,
		"prefixed": prefixed,
		"crlf":     bytes.ReplaceAll(base, []byte("\n"), []byte("\r\n")),
	} {
		t.Run(name, func(t *testing.T) {
			got := convertOne(t, in)
			if !bytes.Equal(got.Content, in) || got.Size != int64(len(in)) {
				t.Errorf("Content/Size are not the exact input bytes")
			}
			got.Content, got.Size, got.SHA1, got.SHA256 = want.Content, want.Size, want.SHA1, want.SHA256
			if got.Title != want.Title || got.Patient.BirthName != want.Patient.BirthName ||
				got.UniqueID != want.UniqueID || got.Format != want.Format || got.Type != want.Type ||
				len(got.Problems) != 0 {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func convertOne(t *testing.T, raw []byte) *docbridge.Document {
	t.Helper()
	docs, err := Convert(raw, golden.Mappings(t), nil)
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	if len(docs) != 1 {
		t.Fatalf("len(docs) = %d, want 1", len(docs))
	}
	return docs[0]
}

func toLatin1(t *testing.T, b []byte) []byte {
	var out []byte
	for _, r := range string(b) {
		if r > 0xFF {
			t.Fatalf("rune %U has no ISO-8859-1 form", r)
		}
		out = append(out, byte(r))
	}
	return out
}

func utf16le(s string) []byte {
	var out []byte
	for _, r := range s {
		out = append(out, byte(r), byte(r>>8))
	}
	return out
}

func billionLaughs() string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n")
	prev := "lol"
	for i := 1; i <= 9; i++ {
		name := "lol" + string(rune('0'+i))
		b.WriteString(" <!ENTITY " + name + " \"" + strings.Repeat("&"+prev+";", 10) + "\">\n")
		prev = name
	}
	b.WriteString("]>\n<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>&lol9;</title></ClinicalDocument>\n")
	return b.String()
}
