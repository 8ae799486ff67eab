package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/mes/messim"
)

// TestRejectionAuditCarriesMESAnswer: when MES refuses a document, the audit
// record of the exchange carries MES's HTTP status and the request id, as
// the README promises, not an empty exchange.
func TestRejectionAuditCarriesMESAnswer(t *testing.T) {
	ctx := context.Background()
	sim, srv := messim.NewTestServer(t, messim.Options{})
	st, err := store.Open(ctx, store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// The pairing's token belongs to another patient at MES: MES refuses.
	pr := docbridge.Pairing{ID: "p1", MESPatient: "mes-1", Patient: patient,
		AccessToken: sim.AddPatient("mes-1", "279035121518989", patient.INSSystem), CreatedAt: time.Now()}
	if err := st.PutPairing(ctx, pr); err != nil {
		t.Fatal(err)
	}
	const uid = "urn:oid:1.2.250.1.999.77.1"
	f := &fixture{st: st, now: time.Now()}
	f.p = New(Options{
		Store: st,
		Converter: ConverterFunc(func(raw []byte) (docbridge.Format, []*docbridge.Document, error) {
			return docbridge.FormatCDA, []*docbridge.Document{caseDoc(uid, raw, patient)}, nil
		}),
		Checker: func(d *docbridge.Document) []docbridge.Problem {
			return identity.CheckDocument(d, identity.Options{Environment: identity.Test})
		},
		Matcher: &identity.Matcher{Pairings: st},
		Sender:  mes.NewClient(mes.Options{BaseURL: srv.URL, HTTPClient: srv.Client()}),
		Log:     zerolog.Nop(),
	})
	f.accept(t, "%PDF-1.4 rejected "+uid)
	f.settle(t)
	r := f.doc(t, uid)
	wantState(t, r, docbridge.Failed, docbridge.MESRejected)

	tl, err := st.AuditTimeline(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ex *audit.Exchange
	for _, rec := range tl {
		if rec.Kind == audit.MESExchange {
			ex = rec.Exchange
		}
	}
	if ex == nil {
		t.Fatalf("no MES exchange in the audit timeline %+v", tl)
	}
	if ex.Status < 400 || ex.Status >= 500 || ex.RequestID == "" || ex.MESID != "" {
		t.Errorf("audited exchange = %+v, want MES's 4xx status and a request id", *ex)
	}
}
