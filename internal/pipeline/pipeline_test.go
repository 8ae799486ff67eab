package pipeline

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/internal/store"
)

var patient = docbridge.Patient{
	INS: "285047505612322", INSSystem: "urn:oid:1.2.250.1.213.1.4.10",
	BirthName: "DOCBRIDGE-TEST", FirstNames: []string{"CAMILLE", "MARIE-ANNE"},
	BirthDate: "1985-04-17", Sex: "F", BirthPlace: "75056",
}

// fakeConverter reads inputs of the form "uniqueId[;replaces=X][;ins=Y]";
// "bad" is refused as malformed.
func fakeConvert(raw []byte) (docbridge.Format, []*docbridge.Document, error) {
	s := string(raw)
	if s == "bad" {
		return docbridge.FormatCDA, nil, docbridge.Errorf(docbridge.Malformed, "not XML")
	}
	parts := strings.Split(s, ";")
	d := &docbridge.Document{UniqueID: parts[0], Action: docbridge.Create, Patient: patient, Content: raw}
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		switch k {
		case "replaces":
			d.Action, d.Replaces = docbridge.Replace, v
		case "ins":
			d.Patient.INS = v
		case "type":
			d.AddProblem(docbridge.UnmappedCode, docbridge.SeverityError, "type not mapped")
		case "delete":
			d.Action = docbridge.Delete
		}
	}
	sum1, sum256 := sha1.Sum(raw), sha256.Sum256(raw)
	d.Size, d.SHA1, d.SHA256 = int64(len(raw)), hex.EncodeToString(sum1[:]), hex.EncodeToString(sum256[:])
	return docbridge.FormatCDA, []*docbridge.Document{d}, nil
}

// fakeSender answers with the next scripted error for a uniqueId (nil when
// the script is empty) and counts sends.
type fakeSender struct {
	mu     sync.Mutex
	script map[string][]error
	sent   map[string]int
	down   bool // every request fails with MESUnavailable
}

func (s *fakeSender) Deliver(_ context.Context, d *docbridge.Document, content io.Reader, _ docbridge.Pairing) (docbridge.Receipt, error) {
	b, _ := io.ReadAll(content)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !bytes.Equal(b, d.Content) && d.Content != nil {
		return docbridge.Receipt{}, errors.New("content differs")
	}
	if s.sent == nil {
		s.sent = map[string]int{}
	}
	s.sent[d.UniqueID]++
	if s.down {
		return docbridge.Receipt{}, &docbridge.Error{Reason: docbridge.MESUnavailable, Msg: "503"}
	}
	if errs := s.script[d.UniqueID]; len(errs) > 0 {
		s.script[d.UniqueID] = errs[1:]
		if errs[0] == errDuplicate {
			return docbridge.Receipt{MESID: "m-" + d.UniqueID, Duplicate: true}, nil
		}
		return docbridge.Receipt{}, errs[0]
	}
	return docbridge.Receipt{MESID: "m-" + d.UniqueID, Status: 201}, nil
}

var errDuplicate = errors.New("duplicate")

type fixture struct {
	st     *store.Store
	p      *Pipeline
	sender *fakeSender
	now    time.Time
}

func newFixture(t *testing.T, script map[string][]error) *fixture {
	t.Helper()
	f := &fixture{sender: &fakeSender{script: script}, now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	st, err := store.Open(context.Background(), store.Options{Dir: t.TempDir(), Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
	f.p = New(Options{
		Store: st, Converter: ConverterFunc(fakeConvert),
		Checker: func(d *docbridge.Document) []docbridge.Problem {
			return identity.CheckDocument(d, identity.Options{Environment: identity.Test})
		},
		Matcher: &identity.Matcher{Pairings: st}, Sender: f.sender, Log: zerolog.Nop(),
		Backoff: Backoff{Base: time.Second, Max: 10 * time.Second},
		Now:     func() time.Time { return f.now },
	})
	return f
}

func (f *fixture) pair(t *testing.T) {
	t.Helper()
	if err := f.st.PutPairing(context.Background(), docbridge.Pairing{ID: "p1", MESPatient: "m1", Patient: patient, AccessToken: "tok", CreatedAt: f.now}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) accept(t *testing.T, body string) docbridge.Accepted {
	t.Helper()
	acc, err := f.p.Accept(context.Background(), &docbridge.Envelope{Intake: "test", Source: "s", ReceivedAt: f.now, Body: strings.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

// settle runs the stages until none has work.
func (f *fixture) settle(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		busy := false
		for _, step := range []func(context.Context) (bool, error){f.p.convertDue, f.p.matchDue, f.p.deliverDue} {
			b, err := step(ctx)
			if err != nil {
				t.Fatal(err)
			}
			busy = busy || b
		}
		if !busy {
			return
		}
	}
	t.Fatal("stages still busy after 20 rounds")
}

func (f *fixture) doc(t *testing.T, uniqueID string) store.DocRow {
	t.Helper()
	rows, err := f.st.Documents(context.Background(), store.Filter{UniqueID: uniqueID})
	if err != nil || len(rows) != 1 {
		t.Fatalf("documents %s: %d rows, %v", uniqueID, len(rows), err)
	}
	return rows[0]
}

func wantState(t *testing.T, r store.DocRow, state docbridge.State, reason docbridge.Reason) {
	t.Helper()
	if r.State != state || r.Reason != reason {
		t.Errorf("document %s is %s/%s, want %s/%s (%s)", r.UniqueID, r.State, r.Reason, state, reason, r.Message)
	}
}

func TestAcceptReportsRefusals(t *testing.T) {
	tests := []struct {
		body   string
		state  docbridge.State
		reason docbridge.Reason
	}{
		{"bad", docbridge.Failed, docbridge.Malformed},
		{"urn:oid:1.1;ins=285047505612399", docbridge.Failed, docbridge.INSInvalid},
		{"urn:oid:1.2;type=x", docbridge.Converted, ""}, // review is not a refusal of the input
		{"urn:oid:1.3", docbridge.Converted, ""},
	}
	f := newFixture(t, nil)
	for _, tt := range tests {
		acc := f.accept(t, tt.body)
		if acc.State != tt.state || acc.Reason != tt.reason {
			t.Errorf("Accept(%q) = %s/%s, want %s/%s", tt.body, acc.State, acc.Reason, tt.state, tt.reason)
		}
	}
	wantState(t, f.doc(t, "urn:oid:1.2"), docbridge.Review, docbridge.UnmappedCode)
	if again := f.accept(t, "bad"); !again.Duplicate || again.State != docbridge.Failed || again.Reason != docbridge.Malformed {
		t.Errorf("second Accept of the same bytes = %+v, want a duplicate that still says failed/malformed", again)
	}
}

func TestHeldUntilPairedThenDelivered(t *testing.T) {
	f := newFixture(t, nil)
	f.accept(t, "urn:oid:2.1")
	f.settle(t)
	wantState(t, f.doc(t, "urn:oid:2.1"), docbridge.Held, docbridge.NotPaired)
	f.settle(t)
	if n := f.sender.sent["urn:oid:2.1"]; n != 0 {
		t.Fatalf("sent %d times before pairing", n)
	}
	f.pair(t)
	f.settle(t)
	r := f.doc(t, "urn:oid:2.1")
	wantState(t, r, docbridge.Delivered, "")
	if r.MESID != "m-urn:oid:2.1" || r.PairingID != "p1" {
		t.Errorf("delivered row = %+v", r)
	}
}

func TestDeliveryOutcomes(t *testing.T) {
	unavailable := &docbridge.Error{Reason: docbridge.MESUnavailable, Msg: "503", RetryAfter: 30 * time.Second}
	tests := []struct {
		name   string
		script []error
		state  docbridge.State
		reason docbridge.Reason
		sends  int
	}{
		{"accepted", nil, docbridge.Delivered, "", 1},
		{"already there", []error{errDuplicate}, docbridge.Delivered, docbridge.Duplicate, 1},
		{"rejected", []error{docbridge.Errorf(docbridge.MESRejected, "422")}, docbridge.Failed, docbridge.MESRejected, 1},
		{"outage then back", []error{unavailable, unavailable}, docbridge.Delivered, "", 3},
		{"revoked", []error{docbridge.Errorf(docbridge.PairingRevoked, "401")}, docbridge.Held, docbridge.PairingRevoked, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const id = "urn:oid:3.1"
			f := newFixture(t, map[string][]error{id: tt.script})
			f.pair(t)
			f.accept(t, id)
			for i := 0; i < 4; i++ {
				f.settle(t)
				f.now = f.now.Add(time.Minute) // past any backoff, including Retry-After
			}
			wantState(t, f.doc(t, id), tt.state, tt.reason)
			if got := f.sender.sent[id]; got != tt.sends {
				t.Errorf("sent %d times, want %d", got, tt.sends)
			}
		})
	}
}

func TestOutageWaitsForRetryAfter(t *testing.T) {
	const id = "urn:oid:4.1"
	f := newFixture(t, map[string][]error{id: {&docbridge.Error{Reason: docbridge.MESUnavailable, Msg: "429", RetryAfter: time.Hour}}})
	f.pair(t)
	f.accept(t, id)
	f.settle(t)
	r := f.doc(t, id)
	wantState(t, r, docbridge.Held, docbridge.MESUnavailable)
	if r.NextAttempt.Sub(f.now) < time.Hour {
		t.Errorf("next attempt in %v, want at least the Retry-After hour", r.NextAttempt.Sub(f.now))
	}
	f.now = f.now.Add(30 * time.Minute)
	f.settle(t)
	if got := f.sender.sent[id]; got != 1 {
		t.Errorf("sent %d times before Retry-After passed, want 1", got)
	}
}

func TestRevocationMarksThePairing(t *testing.T) {
	const id = "urn:oid:5.1"
	f := newFixture(t, map[string][]error{id: {docbridge.Errorf(docbridge.PairingRevoked, "401")}})
	f.pair(t)
	f.accept(t, id)
	f.settle(t)
	ps, _ := f.st.Pairings(context.Background())
	if len(ps) != 1 || !ps[0].Revoked {
		t.Errorf("pairings = %+v, want p1 revoked", ps)
	}
	// A second document for the patient is held without being sent, and
	// says why: the patient's pairing is revoked.
	f.accept(t, "urn:oid:5.2")
	f.settle(t)
	wantState(t, f.doc(t, "urn:oid:5.2"), docbridge.Held, docbridge.PairingRevoked)
	if f.sender.sent["urn:oid:5.2"] != 0 {
		t.Error("a document was sent with a revoked pairing")
	}
}

func TestReplacementSupersedes(t *testing.T) {
	f := newFixture(t, nil)
	f.pair(t)
	f.accept(t, "urn:oid:6.1")
	f.settle(t)
	f.accept(t, "urn:oid:6.2;replaces=urn:oid:6.1")
	f.settle(t)
	wantState(t, f.doc(t, "urn:oid:6.1"), docbridge.Superseded, "")
	wantState(t, f.doc(t, "urn:oid:6.2"), docbridge.Delivered, "")
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Base: time.Second, Max: 8 * time.Second}
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 10: 8 * time.Second} {
		for i := 0; i < 50; i++ {
			if d := b.Delay(n, 0); d < want/2 || d > want {
				t.Fatalf("Delay(%d) = %v, want in [%v, %v]", n, d, want/2, want)
			}
		}
	}
	if d := b.Delay(1, time.Minute); d != time.Minute {
		t.Errorf("Delay with a 1 min hint = %v, want 1m", d)
	}
}

func TestCircuitBreakerPausesDeliveries(t *testing.T) {
	f := newFixture(t, nil)
	f.p.breaker = newBreaker(3, time.Minute, time.Hour)
	f.sender.down = true
	f.pair(t)
	for i := 0; i < 10; i++ {
		f.accept(t, fmt.Sprintf("urn:oid:7.%d", i))
	}
	f.settle(t)
	if got := f.requests(); got != 3 {
		t.Errorf("%d requests while MES is down, want 3 before the circuit opens", got)
	}
	f.now = f.now.Add(2 * time.Minute) // past the cool-down: one probe, which fails
	f.settle(t)
	if got := f.requests(); got != 4 {
		t.Errorf("%d requests after one cool-down, want 4 (one probe)", got)
	}
	f.sender.down = false
	for i := 0; i < 4; i++ {
		f.now = f.now.Add(time.Hour) // past the doubled cool-down and every backoff
		f.settle(t)
	}
	for i := 0; i < 10; i++ {
		wantState(t, f.doc(t, fmt.Sprintf("urn:oid:7.%d", i)), docbridge.Delivered, "")
	}
	if got := f.requests(); got != 14 {
		t.Errorf("%d requests for 10 documents, want 14 (4 during the outage, then one each)", got)
	}
}

func (f *fixture) requests() int {
	f.sender.mu.Lock()
	defer f.sender.mu.Unlock()
	n := 0
	for _, c := range f.sender.sent {
		n += c
	}
	return n
}

func TestMaxAgeGivesUp(t *testing.T) {
	const id = "urn:oid:8.1"
	down := &docbridge.Error{Reason: docbridge.MESUnavailable, Msg: "503"}
	f := newFixture(t, map[string][]error{id: {down, down, down}})
	f.p.o.MaxAge = 2 * time.Hour
	f.pair(t)
	f.accept(t, id)
	for i := 0; i < 3; i++ {
		f.settle(t)
		f.now = f.now.Add(time.Hour + time.Minute)
	}
	wantState(t, f.doc(t, id), docbridge.Failed, docbridge.MESUnavailable)
}

func TestReplacementBeforeItsOriginal(t *testing.T) {
	f := newFixture(t, nil)
	f.pair(t)
	// The original waits for a pairing while its replacement arrives.
	f.accept(t, "urn:oid:9.2;replaces=urn:oid:9.1")
	f.accept(t, "urn:oid:9.1")
	f.settle(t)
	wantState(t, f.doc(t, "urn:oid:9.2"), docbridge.Delivered, "")
	wantState(t, f.doc(t, "urn:oid:9.1"), docbridge.Superseded, "")
	if f.sender.sent["urn:oid:9.1"] != 0 {
		t.Error("the replaced original was sent after its replacement")
	}
	// An original arriving after its replacement was delivered is never sent.
	f.accept(t, "urn:oid:9.4;replaces=urn:oid:9.3")
	f.settle(t)
	f.accept(t, "urn:oid:9.3")
	f.settle(t)
	wantState(t, f.doc(t, "urn:oid:9.3"), docbridge.Superseded, "")
	if f.sender.sent["urn:oid:9.3"] != 0 {
		t.Error("a late original was sent after its replacement")
	}
}

func TestDeleteRetiresDeliveredVersions(t *testing.T) {
	f := newFixture(t, nil)
	f.pair(t)
	f.accept(t, "urn:oid:10.1")
	f.settle(t)
	f.accept(t, "urn:oid:10.1;delete")
	f.settle(t)
	rows, _ := f.st.Documents(context.Background(), store.Filter{UniqueID: "urn:oid:10.1"})
	if len(rows) != 2 {
		t.Fatalf("%d versions, want 2", len(rows))
	}
	for _, r := range rows {
		wantState(t, r, docbridge.Deleted, "")
	}
}
