package hl7v2

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/docbridge/docbridge"
)

// FuzzConvertHL7 checks Convert (with measurements on and off) never panics, refuses with a classified
// error, or returns documents whose problems use the reason vocabulary and
// whose hashes are over their content.
func FuzzConvertHL7(f *testing.F) {
	for _, dir := range []string{"testdata", samplesDir} {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.hl7"))
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte("MSH|^~\\&|A|B|C|D|||ORU^R01|1|P|2.5\rOBX|1|ED|X||^TEXT^XML^Base64^PENsaW5pY2FsRG9jdW1lbnQvPg==||||||F\r"))
	f.Add([]byte("MSH|^~\\&|A|B|C|D|||MDM^T04|1|P|2.5\rTXA|1||||||||||||\rOBX|1|ED|X||^AP^PDF^Base64^JVBERi0=||||||D\r"))
	f.Add([]byte("MSH|^~\\&|A|B|C|D|||ORU^R01|1|P|2.5\rOBR|1||O1|X|||20250101\rOBX|1|NM|8480-6^^LN|1|120|mm[Hg]|||||F\rOBX|2|SN|8462-4^^LN|1|=^80|mmHg|||||C\r"))
	o := testOptions(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		// Measurements on for odd lengths: both paths from one corpus.
		o := o
		o.Measurements = len(raw)%2 == 1
		docs, err := Convert(raw, o)
		if err != nil {
			var e *docbridge.Error
			if !errors.As(err, &e) || !e.Reason.Known() {
				t.Fatalf("error %v is not a *docbridge.Error with a known reason", err)
			}
			if docs != nil {
				t.Fatal("documents returned with an error")
			}
			return
		}
		if len(docs) == 0 {
			t.Fatal("no document and no error")
		}
		for _, d := range docs {
			if d.Size != int64(len(d.Content)) || d.Action == "" {
				t.Fatalf("document %+v is inconsistent", d)
			}
			for _, p := range d.Problems {
				if !p.Code.Known() || p.Message == "" {
					t.Fatalf("bad problem %+v", p)
				}
			}
			if _, err := json.Marshal(d); err != nil {
				t.Fatal(err)
			}
		}
	})
}
