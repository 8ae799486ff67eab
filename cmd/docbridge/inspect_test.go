package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
)

const corpusFR = "../../../shared/corpus/cda-fr"

func inspectJSON(t *testing.T, args ...string) ([]inspection, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), append([]string{"inspect", "--json"}, args...), &out, &errb)
	var res []inspection
	dec := json.NewDecoder(&out)
	for dec.More() {
		var in inspection
		if derr := dec.Decode(&in); derr != nil {
			t.Fatalf("inspect output is not a stream of JSON objects: %v", derr)
		}
		res = append(res, in)
	}
	return res, err
}

// TestInspectCorpus runs inspect --json over the ANS French CDA corpus:
// every file gives the docs/architecture.md §11 fields, and the documents whose INS keys
// are wrong (the patient's or the legal authenticator's) say ins-invalid.
func TestInspectCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusFR, "*.xml"))
	if len(files) == 0 {
		t.Skipf("no corpus at %s", corpusFR)
	}
	res, err := inspectJSON(t, append([]string{"--env", "test"}, files...)...)
	if exitCode(err) != 1 {
		t.Errorf("exit code %d, want 1 (the corpus has problems)", exitCode(err))
	}
	if len(res) != len(files) {
		t.Fatalf("%d results for %d files", len(res), len(files))
	}
	wantInvalid := map[string]bool{"CSE-MDE_2023.01.xml": true, "VAC_2023.01.xml": true, "SDM-MR_2024.01_nouveau-ne.xml": true}
	for _, in := range res {
		name := filepath.Base(in.File)
		if in.Format != docbridge.FormatCDA || len(in.Documents) != 1 || len(in.Problems) != 0 {
			t.Errorf("%s: format %q, %d documents, problems %v", name, in.Format, len(in.Documents), in.Problems)
			continue
		}
		d := in.Documents[0]
		for field, v := range map[string]string{
			"uniqueId": d.UniqueID, "action": string(d.Action), "type": d.Type.Code, "class": d.Class.Code,
			"title": d.Title, "creation": d.Creation, "language": d.Language, "confidentiality": d.Confidentiality,
			"contentType": d.ContentType, "format": d.Format, "sha1": d.SHA1, "sha256": d.SHA256,
			"facilityType": d.FacilityType.Code, "practiceSetting": d.PracticeSetting.Code,
			"patient.ins": d.Patient.INS, "patient.insSystem": d.Patient.INSSystem, "patient.birthName": d.Patient.BirthName,
			"patient.birthDate": d.Patient.BirthDate, "patient.sex": d.Patient.Sex, "patient.birthPlace": d.Patient.BirthPlace,
		} {
			if v == "" {
				t.Errorf("%s: %s is empty", name, field)
			}
		}
		if len(d.Authors) == 0 || len(d.Patient.FirstNames) == 0 || d.Size == 0 {
			t.Errorf("%s: authors %d, first names %d, size %d", name, len(d.Authors), len(d.Patient.FirstNames), d.Size)
		}
		invalid := false
		for _, p := range d.Problems {
			invalid = invalid || p.Code == docbridge.INSInvalid
		}
		if invalid != wantInvalid[name] {
			t.Errorf("%s: ins-invalid reported = %t, want %t (%v)", name, invalid, wantInvalid[name], d.Problems)
		}
	}
}

func TestInspectExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"valid sample in test", []string{"--env", "test", "../../samples/cr-bio-n1-pdf.xml"}, 0},
		{"test OID in production", []string{"../../samples/cr-bio-n1-pdf.xml"}, 1},
		{"refused sample", []string{"--env", "test", "../../samples/refused-doctype.xml"}, 1},
		{"missing file", []string{"no-such-file.xml"}, 1},
		{"no file", nil, 2},
		{"bad env", []string{"--env", "staging", "../../samples/cr-bio-n1-pdf.xml"}, 2},
		{"unknown flag", []string{"--frobnicate", "x"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), append([]string{"inspect"}, tt.args...), &out, &out)
			if got := exitCode(err); got != tt.want {
				t.Errorf("exit code %d, want %d (%v)\n%s", got, tt.want, err, out.String())
			}
		})
	}
}

func TestInspectWire(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"inspect", "--wire", "mes-api", "../../samples/cr-bio-n1-pdf.xml"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	var dr struct {
		ResourceType     string
		MasterIdentifier struct{ Value string }
		Subject          struct{ Reference string }
		Content          []struct{ Attachment struct{ Data []byte } }
	}
	if err := json.Unmarshal(out.Bytes(), &dr); err != nil {
		t.Fatalf("wire body is not JSON: %v", err)
	}
	raw, _ := os.ReadFile("../../samples/cr-bio-n1-pdf.xml")
	if dr.ResourceType != "DocumentReference" || !strings.HasPrefix(dr.MasterIdentifier.Value, "urn:oid:") ||
		!strings.Contains(dr.Subject.Reference, "PLACEHOLDER") || len(dr.Content) != 1 || !bytes.Equal(dr.Content[0].Attachment.Data, raw) {
		t.Errorf("wire body = %.300s", out.String())
	}
	if err := run(context.Background(), []string{"inspect", "--wire", "xds", "x"}, &out, &out); exitCode(err) != 2 {
		t.Errorf("unknown profile: exit %d, want 2", exitCode(err))
	}
}

func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"demo"}, &out, &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "every sample reached the state expected of it") {
		t.Errorf("demo output:\n%s", out.String())
	}
}

const pdfTestdata = "../../convert/pdf/testdata"

// pdfDir copies the synthetic PDF cr-bio.pdf into a new directory under
// each of names, and each sidecar of sidecars (name → content; "" is
// cr-bio.json), and returns the directory.
func pdfDir(t *testing.T, names []string, sidecars map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	pdf, err := os.ReadFile(filepath.Join(pdfTestdata, "cr-bio.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	side, err := os.ReadFile(filepath.Join(pdfTestdata, "cr-bio.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		os.WriteFile(filepath.Join(dir, n), pdf, 0o600)
	}
	for n, content := range sidecars {
		b := side
		if content != "" {
			b = []byte(content)
		}
		os.WriteFile(filepath.Join(dir, n), b, 0o600)
	}
	return dir
}

// TestInspectPDFSidecar checks that inspect reads a PDF's sidecar as the
// drop folder pairs them (X.json, X.yaml, X.yml beside X.pdf) and converts
// the PDF with it, and says why when it cannot.
func TestInspectPDFSidecar(t *testing.T) {
	yamlSide, err := os.ReadFile(filepath.Join(pdfTestdata, "cr-bio-v2.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		sidecars map[string]string
		sidecar  string           // the sidecar read, "" for none
		reason   docbridge.Reason // of the file's problem, "" for none
		uniqueID string
	}{
		{"json", map[string]string{"x.json": ""}, "x.json", "", "urn:oid:1.2.250.1.999.42.1.501"},
		{"yaml", map[string]string{"x.yaml": string(yamlSide)}, "x.yaml", "", "urn:oid:1.2.250.1.999.42.1.502"},
		{"json before yaml", map[string]string{"x.json": "", "x.yaml": string(yamlSide)}, "x.json", "", "urn:oid:1.2.250.1.999.42.1.501"},
		{"none", nil, "", docbridge.MissingMetadata, ""},
		{"not the drop folder's name", map[string]string{"x.pdf.json": ""}, "", docbridge.MissingMetadata, ""},
		{"a FHIR resource is no sidecar", map[string]string{"x.json": `{"resourceType": "Bundle"}`}, "", docbridge.MissingMetadata, ""},
		{"invalid", map[string]string{"x.yml": "title: [unclosed"}, "x.yml", docbridge.Malformed, ""},
		{"too large", map[string]string{"x.json": strings.Repeat(" ", docbridge.MaxSidecar+1)}, "", docbridge.TooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := pdfDir(t, []string{"x.pdf"}, tt.sidecars)
			res, err := inspectJSON(t, "--env", "test", filepath.Join(dir, "x.pdf"))
			if len(res) != 1 {
				t.Fatalf("%d results, want 1", len(res))
			}
			in := res[0]
			wantSide := ""
			if tt.sidecar != "" {
				wantSide = filepath.Join(dir, tt.sidecar)
			}
			if in.Sidecar != wantSide {
				t.Errorf("sidecar %q, want %q", in.Sidecar, wantSide)
			}
			if tt.reason != "" {
				if len(in.Problems) != 1 || in.Problems[0].Code != tt.reason || len(in.Documents) != 0 {
					t.Errorf("problems %v, %d documents; want one %s and none", in.Problems, len(in.Documents), tt.reason)
				}
				if exitCode(err) != 1 {
					t.Errorf("exit code %d, want 1", exitCode(err))
				}
				return
			}
			if len(in.Problems) != 0 || len(in.Documents) != 1 || in.Format != docbridge.FormatPDF {
				t.Fatalf("format %q, problems %v, %d documents", in.Format, in.Problems, len(in.Documents))
			}
			d := in.Documents[0]
			if d.UniqueID != tt.uniqueID || d.Patient.INS != "285047505612322" || d.ContentType != "application/pdf" || d.Size == 0 {
				t.Errorf("document %s, INS %s, %s, %d bytes", d.UniqueID, d.Patient.INS, d.ContentType, d.Size)
			}
			if exitCode(err) != 0 {
				t.Errorf("exit code %d, want 0 (problems %v)", exitCode(err), d.Problems)
			}
		})
	}
}

// TestInspectPDFFileName checks that a PDF without sidecar takes its
// metadata from its file name through the default pattern.
func TestInspectPDFFileName(t *testing.T) {
	dir := pdfDir(t, []string{"285047505612322_11502-2_20250301.pdf"}, nil)
	res, _ := inspectJSON(t, "--env", "test", filepath.Join(dir, "285047505612322_11502-2_20250301.pdf"))
	if len(res) != 1 || len(res[0].Problems) != 0 || len(res[0].Documents) != 1 {
		t.Fatalf("results %+v", res)
	}
	if d := res[0].Documents[0]; d.Patient.INS != "285047505612322" || d.Type.Code != "11502-2" {
		t.Errorf("INS %q, type %q: the file name's", d.Patient.INS, d.Type.Code)
	}
}

// TestInspectWirePDF checks that --wire sends a PDF converted with its
// sidecar, its bytes streamed from the file, in both profiles.
func TestInspectWirePDF(t *testing.T) {
	dir := pdfDir(t, []string{"x.pdf"}, map[string]string{"x.json": ""})
	pdf, _ := os.ReadFile(filepath.Join(dir, "x.pdf"))
	var out bytes.Buffer
	if err := run(context.Background(), []string{"inspect", "--wire", "mes-api", filepath.Join(dir, "x.pdf")}, &out, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	var dr struct {
		MasterIdentifier struct{ Value string }
		Content          []struct {
			Attachment struct {
				ContentType string
				Data        []byte
			}
		}
	}
	if err := json.Unmarshal(out.Bytes(), &dr); err != nil {
		t.Fatalf("wire body is not JSON: %v", err)
	}
	if dr.MasterIdentifier.Value != "urn:oid:1.2.250.1.999.42.1.501" || len(dr.Content) != 1 ||
		dr.Content[0].Attachment.ContentType != "application/pdf" || !bytes.Equal(dr.Content[0].Attachment.Data, pdf) {
		t.Errorf("wire body = %.300s", out.String())
	}

	out.Reset()
	if err := run(context.Background(), []string{"inspect", "--wire", "pdsm-iti65", filepath.Join(dir, "x.pdf")}, &out, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	var bundle struct {
		ResourceType string
		Entry        []struct {
			Resource struct {
				ResourceType string
				Data         []byte
			}
		}
	}
	if err := json.Unmarshal(out.Bytes(), &bundle); err != nil {
		t.Fatalf("wire body is not JSON: %v", err)
	}
	found := false
	for _, e := range bundle.Entry {
		found = found || e.Resource.ResourceType == "Binary" && bytes.Equal(e.Resource.Data, pdf)
	}
	if bundle.ResourceType != "Bundle" || !found {
		t.Errorf("the Bundle has no Binary with the PDF: %.300s", out.String())
	}

	out.Reset()
	err := run(context.Background(), []string{"inspect", "--wire", "mes-api", filepath.Join(dir, "missing.pdf")}, &out, &out)
	if exitCode(err) != 1 {
		t.Errorf("a missing file: exit %d (%v), want 1", exitCode(err), err)
	}
}

// TestInspectConfigRequirePDFA checks pdf.require_pdfa: with it, a PDF
// that does not declare PDF/A is refused and one that does goes through.
func TestInspectConfigRequirePDFA(t *testing.T) {
	dir := pdfDir(t, []string{"pdfa.pdf"}, map[string]string{"pdfa.json": "", "plain.json": ""})
	plain, err := os.ReadFile(filepath.Join(pdfTestdata, "no-metadata.pdf")) // no XMP metadata
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "plain.pdf"), plain, 0o600)
	for _, tt := range []struct {
		require bool
		want    map[string]docbridge.Reason // file → its problem
	}{
		{false, map[string]docbridge.Reason{"pdfa.pdf": "", "plain.pdf": ""}},
		{true, map[string]docbridge.Reason{"pdfa.pdf": "", "plain.pdf": docbridge.UnsupportedFormat}},
	} {
		cfg := filepath.Join(dir, "docbridge.yaml")
		os.WriteFile(cfg, fmt.Appendf(nil, "environment: test\ndata: %s\nmes: {base_url: http://127.0.0.1:9}\npdf: {require_pdfa: %t}\n", dir, tt.require), 0o600)
		res, _ := inspectJSON(t, "-c", cfg, filepath.Join(dir, "pdfa.pdf"), filepath.Join(dir, "plain.pdf"))
		got := map[string]docbridge.Reason{}
		for _, in := range res {
			var r docbridge.Reason
			if len(in.Problems) > 0 {
				r = in.Problems[0].Code
			}
			got[filepath.Base(in.File)] = r
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("require_pdfa %t: problems (-want +got):\n%s", tt.require, diff)
		}
	}
	if _, err := parseConfig([]byte("data: /d\nmes: {base_url: http://x}\npdf: {require_pdf_a: true}\n")); err == nil || !strings.Contains(err.Error(), "require_pdf_a") {
		t.Errorf("a misspelt pdf key: %v, want an error naming it", err)
	}
}
