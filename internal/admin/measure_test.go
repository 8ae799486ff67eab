package admin

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// TestMeasurementPages: the document list shows each row's kind, and a
// measurement's page its profile, value, time and status.
func TestMeasurementPages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	m := &docbridge.Measurement{Profile: "body-weight", Code: docbridge.Coding{System: "http://loinc.org", Code: "29463-7"},
		Value: "71.5", Unit: "kg", Effective: "2025-01-14T09:10:00+01:00", Status: "corrected", Key: []string{"a", "b", "c", "d"}}
	raw, _ := json.Marshal(m)
	acc, err := f.st.AcceptConverted(ctx, &docbridge.Envelope{Intake: "mllp", Source: "m.hl7", ReceivedAt: time.Now(), Body: strings.NewReader("MSH|^~\\&|CLINIC")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s1, s256 := sha1.Sum(raw), sha256.Sum256(raw)
	d := &docbridge.Document{Kind: docbridge.KindMeasurement, Measurement: m, UniqueID: docbridge.MeasurementID(m.Key...), Action: docbridge.Create,
		Title: "Mesure body-weight", Patient: camille, Content: raw, Size: int64(len(raw)), SHA1: hex.EncodeToString(s1[:]), SHA256: hex.EncodeToString(s256[:])}
	refs, err := f.st.RecordConversion(ctx, acc.ID, []store.NewDocument{{Doc: d, State: docbridge.Review, Reason: docbridge.MeasurementCorrection, Message: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	c := f.signIn("vera")
	_, page := c.get("/documents/" + itoa(refs[0].ID))
	for _, want := range []string{`<dd id="kind">measurement</dd>`, "body-weight <small>29463-7</small>: 71.5 kg · 2025-01-14T09:10:00&#43;01:00 · corrected"} {
		if !strings.Contains(page, want) {
			t.Errorf("the measurement's page lacks %q:\n%s", want, page[strings.Index(page, "uniqueId"):][:600])
		}
	}
	_, list := c.get("/documents")
	if !strings.Contains(list, "<td>measurement</td>") {
		t.Error("the document list does not show the kind")
	}
}
