package admin

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/metrics"
	"github.com/docbridge/docbridge/internal/store"
)

// addKind stores one converted document of kind k through intake "lis".
func (f *fixture) addKind(uniqueID string, k docbridge.Kind) {
	f.t.Helper()
	ctx := context.Background()
	raw := []byte("<data>" + uniqueID + "</data>")
	acc, err := f.st.AcceptConverted(ctx, &docbridge.Envelope{Intake: "lis", Source: "peer", Body: strings.NewReader(string(raw))}, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	s1, s256 := sha1.Sum(raw), sha256.Sum256(raw)
	d := &docbridge.Document{UniqueID: uniqueID, Action: docbridge.Create, Kind: k, Title: "x", Patient: camille, Content: raw,
		Size: int64(len(raw)), SHA1: hex.EncodeToString(s1[:]), SHA256: hex.EncodeToString(s256[:])}
	if _, err := f.st.RecordConversion(ctx, acc.ID, []store.NewDocument{{Doc: d, State: docbridge.Converted}}); err != nil {
		f.t.Fatal(err)
	}
}

// TestDashboardCounts: the dashboard's table counts documents by state and
// intake, and by kind once some are measurements or appointments; the
// kinds line is absent while every document is a document.
func TestDashboardCounts(t *testing.T) {
	f := newFixture(t)
	f.addDoc("urn:oid:1.2.11.1", camille, docbridge.Review, docbridge.IdentityMismatch)
	f.addDoc("urn:oid:1.2.11.2", camille, docbridge.Converted, "")
	c := f.signIn("vera")
	_, body := c.get("/")
	if strings.Contains(body, "By kind") {
		t.Error("the dashboard speaks of kinds while every document is a document")
	}
	for _, want := range []string{
		`<span class="badge converted">converted</span></a></td><td class="num">1</td><td class="num">1</td>`,
		`<span class="badge review">review</span></a></td><td class="num">1</td><td class="num">1</td>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	f.addKind("urn:oid:1.2.11.3", docbridge.KindMeasurement)
	f.addKind("urn:oid:1.2.11.4", docbridge.KindMeasurement)
	_, body = c.get("/")
	for _, want := range []string{
		`By kind: document 2 · measurement 2 · appointment 0`,
		`<th class="num">drop</th><th class="num">lis</th>`,
		`<span class="badge converted">converted</span></a></td><td class="num">3</td><td class="num">1</td><td class="num">2</td>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
}

// TestDashboardJournal: MLLP messages acknowledged and not yet recorded
// (the intake journal) have a card of their own while there are some, and
// a gauge.
func TestDashboardJournal(t *testing.T) {
	f := newFixture(t)
	c := f.signIn("vera")
	const card = "MLLP messages acknowledged, to be recorded"
	if _, body := c.get("/"); strings.Contains(body, card) {
		t.Error("the dashboard shows the journal's card while the journal is empty")
	}
	raw := []byte("<data>journaled</data>")
	s1, s256 := sha1.Sum(raw), sha256.Sum256(raw)
	d := &docbridge.Document{UniqueID: "urn:oid:1.2.11.9", Action: docbridge.Create, Title: "x", Patient: camille, Content: raw,
		Size: int64(len(raw)), SHA1: hex.EncodeToString(s1[:]), SHA256: hex.EncodeToString(s256[:])}
	acc, err := f.st.AcceptJournaled(context.Background(), &docbridge.Envelope{Intake: "lis", Source: "peer",
		Body: strings.NewReader(string(raw)), Journal: true}, func(store.Input) (store.Conversion, error) {
		return store.Conversion{Docs: []store.NewDocument{{Doc: d, State: docbridge.Converted}}}, nil
	}, func(context.Context) error { return nil })
	if err != nil || acc.Journal == 0 {
		t.Fatalf("AcceptJournaled = %+v, %v; want a journal entry", acc, err)
	}
	if _, body := c.get("/"); !strings.Contains(body, `<div class="n">1</div><div>`+card) {
		t.Error("the dashboard lacks the journal's card with its one entry")
	}
	m := metrics.New(metrics.Options{Store: f.st, Log: zerolog.Nop(), Now: time.Now})
	if body := scrape(t, m); !strings.Contains(body, "docbridge_journal_backlog 1\n") {
		t.Error("the metrics lack docbridge_journal_backlog 1")
	}
}
