package convert

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/golden"
)

const samplesDir = "../samples"

func TestDetect(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    docbridge.Format
		wantMsg string // for an UnsupportedFormat error
	}{
		{"cda", `<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3"/>`, docbridge.FormatCDA, ""},
		{"cda with bom and blank lines", "\xEF\xBB\xBF\r\n\n  <ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>", docbridge.FormatCDA, ""},
		{"cda after comments and PIs", `<?xml version="1.0"?><?xml-stylesheet href="x.xsl"?><!-- c --><ClinicalDocument/>`, docbridge.FormatCDA, ""},
		{"cda prefixed", `<hl7:ClinicalDocument xmlns:hl7="urn:hl7-org:v3"/>`, docbridge.FormatCDA, ""},
		{"cda with doctype", `<!DOCTYPE ClinicalDocument [<!ENTITY a "b">]><ClinicalDocument>&a;</ClinicalDocument>`, docbridge.FormatCDA, ""},
		{"cda latin-1", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><ClinicalDocument><title>\xe9</title></ClinicalDocument>", docbridge.FormatCDA, ""},
		{"cda broken prolog", `<?xml version="1.0" <ClinicalDocument xmlns="urn:hl7-org:v3">`, docbridge.FormatCDA, ""},
		{"fhir", `{"resourceType": "Bundle"}`, docbridge.FormatFHIR, ""},
		{"fhir indented", "\n\t {\n}", docbridge.FormatFHIR, ""},
		{"hl7v2", "MSH|^~\\&|LAB|X|||20250101||ORU^R01|1|P|2.5\r", docbridge.FormatHL7v2, ""},
		{"hl7v2 batch", "FHS|^~\\&|\rBHS|^~\\&|\rMSH|^~\\&|\r", docbridge.FormatHL7v2, ""},
		{"hl7v2 mllp", "\x0bMSH|^~\\&|LAB\r\x1c\r", docbridge.FormatHL7v2, ""},
		{"pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", docbridge.FormatPDF, ""},
		{"empty", "", "", "empty"},
		{"blank", " \r\n\t", "", "empty"},
		{"mllp without msh", "\x0bPID|1\r", "", "MLLP"},
		{"c-cda fragment", `<section><title>Results</title></section>`, "", "fragment"},
		{"fhir xml", `<Bundle xmlns="http://hl7.org/fhir"/>`, "", "FHIR"},
		{"other xml", `<root/>`, "", "<root>"},
		{"xml without root", `<?xml version="1.0"?><!-- nothing -->`, "", "root"},
		{"broken xml", `<a b=>`, "", "not readable"},
		{"utf-16", "\xFF\xFE<\x00", "", "UTF-16"},
		{"zip", "PK\x03\x04rest", "", "ZIP"},
		{"png", "\x89PNG\r\n", "", "image"},
		{"hprim", "H|^~\\&|||", "", "HPRIM"},
		{"json array", `[{"a":1}]`, "", "JSON array"},
		{"text", "Compte rendu", "", "not a CDA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Detect([]byte(tt.in))
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Fatalf("Detect = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			var e *docbridge.Error
			if !errors.As(err, &e) || e.Reason != docbridge.UnsupportedFormat {
				t.Fatalf("Detect = %q, %v; want an unsupported-format error", got, err)
			}
			if !strings.Contains(e.Msg, tt.wantMsg) {
				t.Errorf("message %q does not mention %q", e.Msg, tt.wantMsg)
			}
		})
	}
}

// detected is the golden record of Detect for one file.
type detected struct {
	File   string           `json:"file"`
	Format docbridge.Format `json:"format,omitempty"`
	Error  docbridge.Reason `json:"error,omitempty"`
}

// TestDetectFiles runs Detect over the samples and, when present, the whole
// shared corpus (CDA, FHIR, HL7 v2), against testdata/golden/detect-*.json.
func TestDetectFiles(t *testing.T) {
	for _, set := range []struct {
		golden   string
		dirs     []string
		optional bool
	}{
		{"detect-samples.json", []string{samplesDir}, false},
		{"detect-corpus.json", []string{
			golden.Corpus("cda-fr"), golden.Corpus("cda-hl7"), golden.Corpus("fhir"), golden.Corpus("hl7v2"),
		}, true},
	} {
		t.Run(set.golden, func(t *testing.T) {
			var got []detected
			for _, dir := range set.dirs {
				golden.RequireDir(t, dir, set.optional)
				entries, err := os.ReadDir(dir)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range entries {
					if e.IsDir() || !slices.Contains([]string{".xml", ".json", ".hl7"}, filepath.Ext(e.Name())) ||
						(dir == samplesDir && filepath.Ext(e.Name()) != ".xml") {
						continue
					}
					raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
					if err != nil {
						t.Fatal(err)
					}
					f, err := Detect(raw)
					got = append(got, detected{File: filepath.Base(dir) + "/" + e.Name(), Format: f, Error: docbridge.ReasonOf(err)})
				}
			}
			sort.Slice(got, func(i, j int) bool { return got[i].File < got[j].File })
			golden.Compare(t, set.golden, got)
		})
	}
}

// FuzzDetect checks Detect never panics and only ever returns a known format
// or an UnsupportedFormat *docbridge.Error.
func FuzzDetect(f *testing.F) {
	for _, s := range []string{
		"", "<ClinicalDocument/>", "{}", "MSH|^~\\&|", "\x0bMSH|", "%PDF-1.4", "\xEF\xBB\xBF<a/>",
		"<!DOCTYPE x [<!ENTITY a 'b'>]><ClinicalDocument/>", "<?xml version='1.0' encoding='latin1'?><x/>",
	} {
		f.Add([]byte(s))
	}
	if paths, err := filepath.Glob(filepath.Join(samplesDir, "*.xml")); err == nil {
		for _, p := range paths {
			if raw, err := os.ReadFile(p); err == nil {
				f.Add(raw)
			}
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := Detect(raw)
		if err != nil {
			var e *docbridge.Error
			if !errors.As(err, &e) || e.Reason != docbridge.UnsupportedFormat || got != "" {
				t.Fatalf("Detect = %q, %v", got, err)
			}
			return
		}
		switch got {
		case docbridge.FormatCDA, docbridge.FormatFHIR, docbridge.FormatHL7v2, docbridge.FormatPDF:
		default:
			t.Fatalf("Detect = %q", got)
		}
	})
}
