package cda

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
)

// edit is one textual change to a sample, which must apply exactly once.
type edit struct{ old, new string }

func edited(t *testing.T, name string, edits ...edit) []byte {
	t.Helper()
	s := string(sample(t, name))
	for _, e := range edits {
		if n := strings.Count(s, e.old); n != 1 {
			t.Fatalf("edit %q matches %d times in %s, want 1", e.old, n, name)
		}
		s = strings.Replace(s, e.old, e.new, 1)
	}
	return []byte(s)
}

// problemCodes lists the documents' problems as "severity code" strings.
func problemCodes(d *docbridge.Document) []string {
	out := []string{}
	for _, p := range d.Problems {
		out = append(out, string(p.Severity)+" "+string(p.Code))
	}
	return out
}

const base = "cr-bio-n1-pdf.xml"

func TestUniqueID(t *testing.T) {
	tests := []struct {
		name, id     string
		want         string
		wantProblems []string
	}{
		{"oid", `<id root="1.2.250.1.999.42.1.1001"/>`, "urn:oid:1.2.250.1.999.42.1.1001", nil},
		{"uuid", `<id root="17940492-E5FF-41ED-B232-18E84FFE7A36"/>`, "urn:uuid:17940492-e5ff-41ed-b232-18e84ffe7a36", nil},
		{"root and extension", `<id root="1.2.250.1.999.42.1" extension="CR-2025-0001"/>`, "1.2.250.1.999.42.1^CR-2025-0001", nil},
		{"neither", `<id root="not-an-oid"/>`, "not-an-oid", []string{"error missing-metadata"}},
		{"missing", ``, "", []string{"error missing-metadata"}},
		{"null flavor", `<id nullFlavor="NI"/>`, "", []string{"error missing-metadata"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := convertOne(t, edited(t, base, edit{`<id root="1.2.250.1.999.42.1.1001"/>`, tt.id}))
			if d.UniqueID != tt.want {
				t.Errorf("UniqueID = %q, want %q", d.UniqueID, tt.want)
			}
			if diff := cmp.Diff(append([]string{}, tt.wantProblems...), problemCodes(d)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMissingMetadata removes each required header element in turn. The
// fields a source profile can fill (type, confidentiality, language,
// facility type, practice setting, author) are decided by convert after
// the profile: see convert's TestRequiredAfterProfile.
func TestMissingMetadata(t *testing.T) {
	tests := []struct {
		name    string
		e       []edit
		want    docbridge.Reason
		element string
	}{
		{"title", []edit{{`<title>Compte rendu d'examens biologiques</title>`, `<title> </title>`}},
			docbridge.MissingMetadata, "ClinicalDocument/title"},
		{"effectiveTime", []edit{{`<effectiveTime value="20250114093000+0100"/>`, ``}},
			docbridge.MissingMetadata, "ClinicalDocument/effectiveTime"},
		{"effectiveTime invalid", []edit{{`<effectiveTime value="20250114093000+0100"/>`, `<effectiveTime value="2025-01-14"/>`}},
			docbridge.MissingMetadata, "ClinicalDocument/effectiveTime"},
		{"confidentialityCode unknown", []edit{{`<confidentialityCode code="N"`, `<confidentialityCode code="X"`}},
			docbridge.UnmappedCode, "ClinicalDocument/confidentialityCode"},
		{"facility unknown", []edit{{`<code code="SA25"`, `<code code="SA99"`}},
			docbridge.UnmappedCode, "healthCareFacility/code"},
		{"type unknown", []edit{{`<code code="11502-2"`, `<code code="34109-9"`}},
			docbridge.UnmappedCode, "ClinicalDocument/code"},
		{"media type", []edit{{`<text mediaType="application/pdf" representation="B64">`, `<text representation="B64">`}},
			docbridge.MissingMetadata, "mediaType"},
		{"media type unknown", []edit{{`mediaType="application/pdf"`, `mediaType="application/x-unknown"`}},
			docbridge.UnmappedCode, "mediaType"},
		{"body reference", []edit{
			{`<text mediaType="application/pdf" representation="B64">`, `<text mediaType="application/pdf"><reference value="cr.pdf"/></text><foo>`},
			{"</text>\n    </nonXMLBody>", "</foo>\n    </nonXMLBody>"}},
			docbridge.UnsupportedFormat, "reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := convertOne(t, edited(t, base, tt.e...))
			p := d.FirstError()
			if p == nil {
				t.Fatalf("no error problem, want %s", tt.want)
			}
			if p.Code != tt.want || !strings.Contains(p.Message, tt.element) {
				t.Errorf("first error = %s %q, want %s naming %s", p.Code, p.Message, tt.want, tt.element)
			}
		})
	}
}

func TestTypeTranslation(t *testing.T) {
	d := convertOne(t, edited(t, base, edit{
		`<code code="11502-2" displayName="CR d'examens biologiques" codeSystem="2.16.840.1.113883.6.1"/>`,
		`<code code="CRBIO" codeSystem="1.2.250.1.999.42.5" displayName="local"><translation code="11502-2" codeSystem="2.16.840.1.113883.6.1"/></code>`,
	}))
	if got, want := d.Type.Code, "11502-2"; got != want {
		t.Errorf("Type.Code = %q, want %q", got, want)
	}
	if len(d.Problems) != 0 {
		t.Errorf("Problems = %+v, want none", d.Problems)
	}
}

func TestCreationWithoutOffset(t *testing.T) {
	d := convertOne(t, edited(t, base, edit{`<effectiveTime value="20250114093000+0100"/>`, `<effectiveTime value="20250714093000"/>`}))
	if d.Creation != "2025-07-14T09:30:00+02:00" || d.CreationSource != "20250714093000" {
		t.Errorf("Creation, CreationSource = %q, %q; want Paris summer time and the source text", d.Creation, d.CreationSource)
	}
}

func TestReplacement(t *testing.T) {
	d := convertOne(t, sample(t, "cr-bio-replace.xml"))
	if d.Action != docbridge.Replace || d.Replaces != "urn:oid:1.2.250.1.999.42.1.1002" ||
		d.SetID != "urn:oid:1.2.250.1.999.42.2.1002" || d.Version != "2" {
		t.Errorf("Action, Replaces, SetID, Version = %s, %s, %s, %s", d.Action, d.Replaces, d.SetID, d.Version)
	}

	self := edited(t, "cr-bio-replace.xml", edit{`<id root="1.2.250.1.999.42.1.1002"/>`, `<id root="1.2.250.1.999.42.1.1004"/>`})
	d = convertOne(t, self)
	if p := d.FirstError(); p == nil || p.Code != docbridge.Malformed || d.Action != docbridge.Create {
		t.Errorf("self-replacement: Action %s, first error %+v; want create and a malformed problem", d.Action, p)
	}
}
