package hl7v2

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
)

// FuzzSIU checks the SIU reading never panics and holds its contracts: a
// refusal is a classified error; otherwise one KindAppointment document
// whose uniqueId is its appointment's identifier, whose content is the
// JSON of its appointment (hashed), whose replacement names its own
// uniqueId, whose status is set, and whose start and end, when its
// problems do not say otherwise, are instants in order.
func FuzzSIU(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*siu*.hl7")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("MSH|^~\\&|A|B|C|D|20260101||SIU^S15|1|P|2.5\rSCH||X^^1.2.3|||||||30|min|^^^202601011000\r"))
	o := testOptions(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		docs, err := Convert(raw, o)
		if err != nil {
			var e *docbridge.Error
			if !errors.As(err, &e) || !e.Reason.Known() || docs != nil {
				t.Fatalf("refusal %v is not a classified error alone", err)
			}
			return
		}
		if len(docs) == 0 {
			t.Fatal("no document and no error")
		}
		d := docs[0]
		if d.Kind != docbridge.KindAppointment {
			return // an ORU or MDM message
		}
		a := d.Appointment
		if len(docs) != 1 || a == nil || d.UniqueID == "" || a.Status == "" || a.ID.Value == "" {
			t.Fatalf("appointment document %+v is incomplete", d)
		}
		want, _ := json.Marshal(a)
		sum := sha256.Sum256(d.Content)
		if !bytes.Equal(d.Content, want) || d.Size != int64(len(want)) || d.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatal("the content is not the hashed JSON of the appointment")
		}
		if d.Action == docbridge.Replace && d.Replaces != d.UniqueID {
			t.Fatalf("a new version names %q, not its own id %q", d.Replaces, d.UniqueID)
		}
		for _, p := range d.Problems {
			if !p.Code.Known() || p.Message == "" {
				t.Fatalf("bad problem %+v", p)
			}
			if p.Severity == docbridge.SeverityError && (p.Code == docbridge.Malformed || p.Code == docbridge.MissingMetadata) {
				return
			}
		}
		if a.Start == "" {
			return
		}
		s, err1 := time.Parse(time.RFC3339, a.Start)
		e, err2 := time.Parse(time.RFC3339, a.End)
		if err1 != nil || err2 != nil || !e.After(s) {
			t.Fatalf("start %q and end %q are not instants in order, and no problem says so", a.Start, a.End)
		}
	})
}
