package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
// every file gives the DESIGN.md §7 fields, and the documents whose INS keys
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
