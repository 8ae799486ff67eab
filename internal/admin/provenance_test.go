package admin

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// TestDocumentPageProvenance: the document page names the fields a source
// profile filled, and shows no such section for a document that carried
// everything.
func TestDocumentPageProvenance(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	add := func(uid string, prov map[string]string) int64 {
		raw := "%PDF-1.4 " + uid
		acc, err := f.st.AcceptConverted(ctx, &docbridge.Envelope{Intake: "lis", Source: "m.hl7", ReceivedAt: time.Now(), Body: strings.NewReader(raw)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		s1, s256 := sha1.Sum([]byte(raw)), sha256.Sum256([]byte(raw))
		d := &docbridge.Document{UniqueID: uid, Action: docbridge.Create, Title: "CR", Patient: camille, Content: []byte(raw),
			Size: int64(len(raw)), SHA1: hex.EncodeToString(s1[:]), SHA256: hex.EncodeToString(s256[:]), Provenance: prov,
			FacilityType: docbridge.Coding{Code: "SA25", Display: "Laboratoire de biologie médicale"}}
		refs, err := f.st.RecordConversion(ctx, acc.ID, []store.NewDocument{{Doc: d, State: docbridge.Converted}})
		if err != nil {
			t.Fatal(err)
		}
		return refs[0].ID
	}
	filled := add("1.2.250.1.999.1^1", map[string]string{"facilityType": "profile:lab", "custodian": "profile:lab"})
	own := add("1.2.250.1.999.1^2", nil)
	vera := f.signIn("vera")

	_, page := vera.get("/documents/" + itoa(filled))
	for _, want := range []string{"Not from the document", "<dt>custodian</dt><dd>profile:lab</dd>", "<dt>facilityType</dt><dd>profile:lab</dd>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page of a document filled by a profile does not show %q", want)
		}
	}
	if _, page := vera.get("/documents/" + itoa(own)); strings.Contains(page, "Not from the document") {
		t.Error("the page of a document that carried everything shows a provenance section")
	}
}
