package mes_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/samples"
)

// The resources docbridge emits, for a table of documents, through the
// checks of schema_test.go.

var fixedNow = func() time.Time { return time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC) }

// schemaDocs is the table of documents every emitted resource is checked
// for: synthetic documents with the shapes docbridge produces, then the
// samples and, when present, the public corpus, converted.
func schemaDocs(t *testing.T) map[string]*docbridge.Document {
	content := []byte("%PDF-1.4 synthetic report\n%%EOF\n")
	docs := map[string]*docbridge.Document{}
	docs["pdf"] = testDoc("urn:oid:1.2.250.1.999.20.1", content)

	r := testDoc("urn:uuid:6b1a3d8e-1c4f-4a57-9a7e-3f1c2b0d9e11", content)
	r.Action, r.Replaces = docbridge.Replace, "urn:oid:1.2.250.1.999.20.1"
	docs["replace"] = r

	ext := testDoc("1.2.250.1.999.4^CR-2026-001", content)
	ext.Action, ext.Replaces = docbridge.Replace, "1.2.250.1.999.4^CR-2026-000"
	docs["OID-rooted ids"] = ext

	many := testDoc("urn:oid:1.2.250.1.999.20.3", content)
	many.SecurityLabels = []docbridge.Coding{{System: "urn:oid:1.2.250.1.213.1.1.4.13", Code: "INVISIBLE_PATIENT", Display: "Non visible par le patient"}}
	many.Authors = append(many.Authors,
		docbridge.Author{Organization: &docbridge.Organization{ID: "1120459876", System: "urn:oid:1.2.250.1.71.4.2.2", Name: "Laboratoire des charmes"}},
		docbridge.Author{ID: "899700000011", System: "1.2.250.1.71.4.2.1", Specialty: &docbridge.Coding{System: "urn:oid:1.2.250.1.213.1.1.4.5", Code: "G15_10/SM03"}},
	)
	many.LegalAuthenticator = nil
	many.ServiceStop = ""
	many.Patient.LocalIDs = []docbridge.Identifier{{System: "urn:oid:1.2.250.1.999.42.9", Value: "DBT-000001"}}
	docs["labels, three authors, no authenticator"] = many

	cda := testDoc("urn:oid:1.2.250.1.999.20.4", []byte(`<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3"/>`))
	cda.ContentType, cda.Format = "text/xml", "urn:ihe:lab:xd-lab:2008"
	cda.Creation, cda.ServiceStart = "2024-01-05", "2024-01-05T08:00:00+01:00"
	docs["CDA, date-only creation"] = cda

	maps, err := mappings.Load("")
	if err != nil {
		t.Fatal(err)
	}
	o := convert.Options{Mappings: maps, Location: time.UTC}
	add := func(prefix string, fsys fs.FS, names []string, smallContent bool) {
		for _, name := range names {
			raw, err := fs.ReadFile(fsys, name)
			if err != nil {
				t.Fatal(err)
			}
			_, converted, err := convert.New(o).Convert(bytes.NewReader(raw), int64(len(raw)), docbridge.Origin{})
			if err != nil {
				continue // refused inputs emit nothing
			}
			for i, d := range converted {
				if d.Kind != docbridge.KindDocument {
					continue // an appointment is checked in appointment_test.go
				}
				if d.Content == nil && d.ContentIsInput {
					d.Content = raw
				}
				if smallContent {
					// The corpus is here for its metadata: its
					// megabytes of PDF would only slow the checks.
					stand := testDoc(d.UniqueID, []byte("stand-in content"))
					d.Content, d.Size, d.SHA1, d.SHA256 = stand.Content, stand.Size, stand.SHA1, stand.SHA256
				}
				docs[fmt.Sprintf("%s %s #%d", prefix, name, i)] = d
			}
		}
	}
	names, _ := fs.Glob(samples.FS, "*.xml")
	hl7, _ := fs.Glob(samples.FS, "*.hl7")
	add("sample", samples.FS, append(names, hl7...), false)
	corpus := filepath.Join("..", "..", "shared", "corpus")
	for _, dir := range []string{"cda-fr", "cda-hl7", "hl7v2"} {
		fsys := os.DirFS(filepath.Join(corpus, dir))
		names, _ := fs.Glob(fsys, "*")
		add("corpus "+dir, fsys, names, true)
	}
	return docs
}

// TestEmittedResourcesAreValid renders every document of the table in both
// profiles and checks every resource against the R4 schema and PDSm.
func TestEmittedResourcesAreValid(t *testing.T) {
	p := pairingFor("mes-patient-1", insA, "t")
	var rendered, unsendable, stopped int
	for name, d := range schemaDocs(t) {
		if d.FirstError() != nil || d.Patient.INS == "" && d.Action != docbridge.Delete {
			stopped++ // the pipeline stops it before MES: nothing is emitted
			continue
		}
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			err := mes.WriteDocumentReference(&b, d, bytes.NewReader(d.Content), &p)
			switch {
			case d.Action == docbridge.Delete:
			case err != nil:
				t.Errorf("WriteDocumentReference: %v", err)
			default:
				checkDocumentReference(t, "mes-api DocumentReference", b.Bytes())
			}
			b.Reset()
			err = mes.WriteBundle(&b, d, bytes.NewReader(d.Content), &p, mes.BundleOptions{SourceID: "1.2.250.1.999.77", Now: fixedNow})
			switch {
			case docbridge.ReasonOf(err) == docbridge.MissingMetadata && !strings.HasPrefix(name, "sample"):
				t.Logf("not sendable with pdsm-iti65: %v", err)
				unsendable++
			case err != nil:
				t.Errorf("WriteBundle: %v", err)
			case d.Action == docbridge.Delete:
				validateR4(t, "delete patch", b.Bytes())
				var r map[string]any
				json.Unmarshal(b.Bytes(), &r)
				checkRule(t, "delete patch", r, pdsmRules["Parameters"])
			default:
				checkBundle(t, "pdsm-iti65 bundle", b.Bytes())
				rendered++
			}
		})
	}
	t.Logf("%d bundles checked; %d documents lack what PDSm requires; %d stopped before MES (problems or no INS)", rendered, unsendable, stopped)
}

// TestPlaceholderResourcesAreValid checks what docbridge inspect --wire
// prints without a pairing or a source id.
func TestPlaceholderResourcesAreValid(t *testing.T) {
	d := testDoc("urn:oid:1.2.250.1.999.20.8", []byte("x"))
	var b bytes.Buffer
	if err := mes.WriteDocumentReference(&b, d, bytes.NewReader(d.Content), nil); err != nil {
		t.Fatal(err)
	}
	checkDocumentReference(t, "placeholder DocumentReference", b.Bytes())
	b.Reset()
	if err := mes.WriteBundle(&b, d, bytes.NewReader(d.Content), nil, mes.BundleOptions{}); err != nil {
		t.Fatal(err)
	}
	checkBundle(t, "placeholder bundle", b.Bytes())
}

// TestSchemaCheckCatches makes sure each check can fail on its own.
func TestSchemaCheckCatches(t *testing.T) {
	d := testDoc("urn:oid:1.2.250.1.999.20.9", []byte("x"))
	var b bytes.Buffer
	if err := mes.WriteBundle(&b, d, bytes.NewReader(d.Content), nil, mes.BundleOptions{Now: fixedNow}); err != nil {
		t.Fatal(err)
	}
	schemaOnly := func(r reporter, b []byte) { validateR4(r, "mutated", b) }
	rulesOnly := func(r reporter, b []byte) {
		var m map[string]any
		json.Unmarshal(b, &m)
		for _, e := range m["entry"].([]any) {
			res := e.(map[string]any)["resource"].(map[string]any)
			checkRule(r, "mutated", res, pdsmRules[res["resourceType"].(string)])
		}
	}
	broken := []struct {
		name, from, to string
		check          func(reporter, []byte)
	}{
		{"schema: status not a code", `"status": "current"`, `"status": 7`, schemaOnly},
		{"schema: unknown element", `"mode": "working"`, `"mode": "working", "nonsense": true`, schemaOnly},
		{"schema: in a contained resource", `"name": "Laboratoire des charmes"`, `"name": ["Laboratoire des charmes"]`, schemaOnly},
		{"schema: in the Binary", `"contentType": "application/pdf",
        "data"`, `"contentType": 1,
        "data"`, schemaOnly},
		{"PDSm: no custodian", `"custodian": {`, `"_custodian": {`, rulesOnly},
		{"PDSm: no period start", `"start": "2021-01-04T13:47:00+01:00",`, ``, rulesOnly},
		{"dangling contained reference", `"reference": "#role1"`, `"reference": "#role9"`, rulesOnly},
	}
	for _, bt := range broken {
		t.Run(bt.name, func(t *testing.T) {
			mutated := strings.Replace(b.String(), bt.from, bt.to, 1)
			if mutated == b.String() {
				t.Fatal("the edit changed nothing")
			}
			var f failures
			bt.check(&f, []byte(mutated))
			if f.n == 0 {
				t.Error("the check found nothing wrong")
			}
		})
	}
}

// TestFHIRValidateTool runs the independent validator of
// ../shared/tools/fhir-validate (@medplum/core) over the sample bundles
// and DocumentReferences when it is installed: set FHIR_VALIDATE_DIR to a
// directory where its package is npm-installed.
func TestFHIRValidateTool(t *testing.T) {
	dir := os.Getenv("FHIR_VALIDATE_DIR")
	if dir == "" {
		t.Skip("FHIR_VALIDATE_DIR not set: the npm validator is not installed")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not found")
	}
	p := pairingFor("mes-patient-1", insA, "t")
	var files []string
	i := 0
	for _, d := range schemaDocs(t) {
		if d.Action == docbridge.Delete {
			continue
		}
		var b bytes.Buffer
		if mes.WriteBundle(&b, d, bytes.NewReader(d.Content), &p, mes.BundleOptions{SourceID: "1.2.250.1.999.77", Now: fixedNow}) != nil {
			continue
		}
		i++
		name := filepath.Join(t.TempDir(), fmt.Sprintf("bundle-%d.json", i))
		os.WriteFile(name, b.Bytes(), 0o600)
		b.Reset()
		mes.WriteDocumentReference(&b, d, bytes.NewReader(d.Content), &p)
		docref := filepath.Join(t.TempDir(), fmt.Sprintf("docref-%d.json", i))
		os.WriteFile(docref, b.Bytes(), 0o600)
		files = append(files, name, docref)
	}
	cmd := exec.Command("node", append([]string{filepath.Join(dir, "validate.mjs")}, files...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("fhir-validate: %v\n%s", err, out)
	}
	t.Logf("fhir-validate over %d files: %s", len(files), bytes.TrimSpace(out))
}
