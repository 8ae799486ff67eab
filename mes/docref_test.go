package mes_test

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mes"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test ./mes -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, diff)
	}
}

func TestWriteDocumentReferenceGolden(t *testing.T) {
	content := []byte("%PDF-1.4 synthetic report for tests\n%%EOF\n")
	p := pairingFor("mes-patient-1", insA, "secret-token")
	replace := testDoc("urn:oid:1.2.250.1.999.1.2", content)
	replace.Action, replace.Replaces = docbridge.Replace, "urn:oid:1.2.250.1.999.1.1"
	tests := []struct {
		name string
		d    *docbridge.Document
		p    *docbridge.Pairing
	}{
		{"docref.golden.json", testDoc("urn:oid:1.2.250.1.999.1.1", content), &p},
		{"docref-placeholder.golden.json", testDoc("urn:oid:1.2.250.1.999.1.1", content), nil},
		{"docref-replace.golden.json", replace, &p},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := mes.WriteDocumentReference(&b, tt.d, bytes.NewReader(content), tt.p); err != nil {
				t.Fatalf("WriteDocumentReference: %v", err)
			}
			golden(t, tt.name, b.Bytes())
		})
	}
}

// wireDoc is what a reader of the body finds, for the parse-back test.
type wireDoc struct {
	ResourceType     string
	Meta             struct{ Profile []string }
	MasterIdentifier struct{ System, Value string }
	Status           string
	Subject          struct {
		Reference  string
		Identifier struct{ System, Value string }
	}
	Author        []map[string]any
	SecurityLabel []struct {
		Coding []struct{ System, Code string }
	}
	Content []struct {
		Format     struct{ System, Code string }
		Attachment struct {
			ContentType, Language, Data, Hash, Title, Creation string
			Size                                               int64
		}
	}
	Context struct {
		Period struct{ Start, End string }
	}
}

func TestWriteDocumentReferenceParsesBack(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789<>&\"\\ é\n"), 5000) // not a multiple of 3, with JSON-special bytes
	d := testDoc("urn:uuid:6b1a3d8e-1c4f-4a57-9a7e-3f1c2b0d9e11", content)
	p := pairingFor("mes-patient-1", insA, "t")
	var b bytes.Buffer
	if err := mes.WriteDocumentReference(&b, d, bytes.NewReader(content), &p); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b.Bytes()) {
		t.Fatal("body is not valid JSON")
	}
	var got wireDoc
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	data, err := base64.StdEncoding.DecodeString(got.Content[0].Attachment.Data)
	if err != nil {
		t.Fatalf("attachment.data: %v", err)
	}
	if !bytes.Equal(data, content) {
		t.Error("attachment.data does not decode to the content")
	}
	sum := sha1.Sum(content)
	checks := []struct{ name, got, want string }{
		{"resourceType", got.ResourceType, "DocumentReference"},
		{"meta.profile", got.Meta.Profile[0], "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-simplified-publish"},
		{"masterIdentifier.system", got.MasterIdentifier.System, "urn:ietf:rfc:3986"},
		{"masterIdentifier.value", got.MasterIdentifier.Value, d.UniqueID},
		{"status", got.Status, "current"},
		{"subject.reference", got.Subject.Reference, "Patient/mes-patient-1"},
		{"subject.identifier.system", got.Subject.Identifier.System, insSystem},
		{"subject.identifier.value", got.Subject.Identifier.Value, insA},
		{"securityLabel system", got.SecurityLabel[0].Coding[0].System, "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"},
		{"format.system", got.Content[0].Format.System, "urn:oid:1.3.6.1.4.1.19376.1.2.3"},
		{"attachment.hash", got.Content[0].Attachment.Hash, base64.StdEncoding.EncodeToString(sum[:])},
		{"attachment.creation", got.Content[0].Attachment.Creation, d.Creation},
		{"context.period.end", got.Context.Period.End, d.ServiceStop},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if got, want := got.Content[0].Attachment.Size, int64(len(content)); got != want {
		t.Errorf("attachment.size = %d, want %d", got, want)
	}
}

func TestWriteDocumentReferenceRefusesWrongContent(t *testing.T) {
	content := []byte("the right content")
	tests := []struct {
		name    string
		content []byte
	}{
		{"other bytes, same size", []byte("the wrong content")},
		{"shorter", []byte("the right")},
		{"longer", []byte("the right content, and more")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := mes.WriteDocumentReference(&b, testDoc("urn:oid:1.2.3", content), bytes.NewReader(tt.content), nil)
			if !errors.Is(err, mes.ErrContentMismatch) || docbridge.ReasonOf(err) != docbridge.Internal {
				t.Fatalf("err = %v, want Internal wrapping ErrContentMismatch", err)
			}
			if json.Valid(b.Bytes()) {
				t.Error("a complete body was written for wrong content")
			}
		})
	}
}

func TestWriteDocumentReferenceRefusesUnrenderable(t *testing.T) {
	noSHA := testDoc("urn:oid:1.2.3", nil)
	noSHA.SHA1 = "not hex"
	replace := testDoc("urn:oid:1.2.3", nil)
	replace.Action = docbridge.Replace
	del := testDoc("urn:oid:1.2.3", nil)
	del.Action = docbridge.Delete
	tests := []struct {
		name   string
		d      *docbridge.Document
		reason docbridge.Reason
	}{
		{"no valid SHA-1", noSHA, docbridge.Internal},
		{"replace without Replaces", replace, docbridge.MissingMetadata},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := mes.WriteDocumentReference(&b, tt.d, bytes.NewReader(nil), nil)
			if got := docbridge.ReasonOf(err); got != tt.reason {
				t.Errorf("ReasonOf(%v) = %q, want %q", err, got, tt.reason)
			}
			if b.Len() != 0 {
				t.Errorf("wrote %d bytes, want none", b.Len())
			}
		})
	}
	if err := mes.WriteDocumentReference(io.Discard, del, nil, nil); !errors.Is(err, mes.ErrNoBody) {
		t.Errorf("delete: err = %v, want ErrNoBody", err)
	}
}

func BenchmarkWriteDocumentReference(b *testing.B) {
	content := make([]byte, 1<<20)
	for i := range content {
		content[i] = byte(i * 7)
	}
	d := testDoc("urn:oid:1.2.250.1.999.1.1", content)
	p := pairingFor("mes-patient-1", insA, "t")
	r := bytes.NewReader(content)
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(content)
		if err := mes.WriteDocumentReference(io.Discard, d, r, &p); err != nil {
			b.Fatal(err)
		}
	}
}
