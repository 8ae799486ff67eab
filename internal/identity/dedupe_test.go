package identity_test

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/cda"
	"github.com/docbridge/docbridge/convert/hl7v2"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/samples"
)

// TestMissingTraitListedOnce: a trait missing from the source is reported
// once, by the converter, not a second time by CheckDocument; a trait the
// converter did not report is still reported.
func TestMissingTraitListedOnce(t *testing.T) {
	maps, err := mappings.Load("")
	if err != nil {
		t.Fatal(err)
	}
	sample := func(name, old, new string) []byte {
		b, err := fs.ReadFile(samples.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(old)) {
			t.Fatalf("%s does not hold %q", name, old)
		}
		return bytes.Replace(b, []byte(old), []byte(new), 1)
	}
	tests := []struct {
		name    string
		convert func() ([]*docbridge.Document, error)
		trait   string
	}{
		{"CDA without birthTime", func() ([]*docbridge.Document, error) {
			return cda.Convert(sample("cr-bio-n1-pdf.xml", `<birthTime value="19850417"/>`, ""), maps, nil)
		}, "birth date"},
		{"HL7 v2 without PID-7", func() ([]*docbridge.Document, error) {
			return hl7v2.Convert(sample("oru-r01-pdf-lab.hl7", "||19850417|F|", "|||F|"), hl7v2.Options{Mappings: maps})
		}, "birth date"},
		{"HL7 v2 without PID-8", func() ([]*docbridge.Document, error) {
			return hl7v2.Convert(sample("oru-r01-pdf-lab.hl7", "||19850417|F|", "||19850417||"), hl7v2.Options{Mappings: maps})
		}, "sex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := tt.convert()
			if err != nil || len(docs) == 0 {
				t.Fatalf("convert: %d documents, %v", len(docs), err)
			}
			d := docs[0]
			d.Problems = append(d.Problems, identity.CheckDocument(d, identity.Options{Environment: identity.Test})...)
			n := 0
			for _, p := range d.Problems {
				if p.Code == docbridge.MissingTrait && p.Severity == docbridge.SeverityError && strings.Contains(p.Message, tt.trait) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("the missing trait %q is listed %d times, want once: %+v", tt.trait, n, d.Problems)
			}
		})
	}

	// Without a converter's report, the check reports the trait.
	d := &docbridge.Document{Patient: docbridge.Patient{INS: "285047505612322", INSSystem: "urn:oid:1.2.250.1.213.1.4.10",
		BirthName: "X", FirstNames: []string{"Y"}, BirthDate: "1985-04-17", Sex: "F"}}
	ps := identity.CheckDocument(d, identity.Options{Environment: identity.Test})
	if len(ps) != 1 || ps[0].Code != docbridge.MissingTrait || !strings.Contains(ps[0].Message, "birthplace") {
		t.Errorf("CheckDocument = %+v, want the missing birthplace", ps)
	}
}
