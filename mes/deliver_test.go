package mes_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/mes/messim"
	"github.com/google/go-cmp/cmp"
)

// env is a simulator with patient A paired, and a client pointed at it.
type env struct {
	sim    *messim.Server
	base   string
	client *mes.Client
	pA     docbridge.Pairing
}

func newEnv(t *testing.T, o messim.Options) *env {
	t.Helper()
	sim, ts := messim.NewTestServer(t, o)
	tok := sim.AddPatient("mes-patient-A", insA, insSystem)
	return &env{sim: sim, base: ts.URL, client: mes.NewClient(mes.Options{BaseURL: ts.URL}), pA: pairingFor("mes-patient-A", insA, tok)}
}

func (e *env) deliver(t *testing.T, d *docbridge.Document, p docbridge.Pairing) (docbridge.Receipt, error) {
	t.Helper()
	return e.client.Deliver(context.Background(), d, bytes.NewReader(d.Content), p)
}

// get reads a simulator resource with p's token.
func (e *env) get(t *testing.T, path string, p docbridge.Pairing) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+p.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestDeliverEndToEnd(t *testing.T) {
	e := newEnv(t, messim.Options{})
	content := bytes.Repeat([]byte("synthetic pdf bytes "), 1000)
	d := testDoc("urn:oid:1.2.250.1.999.2.1", content)

	first, err := e.deliver(t, d, e.pA)
	if err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if first.MESID == "" || first.Status != http.StatusCreated || first.Duplicate || first.RequestID == "" {
		t.Errorf("first Receipt = %+v, want a MES id, 201, not duplicate, a request id", first)
	}

	again, err := e.deliver(t, d, e.pA)
	if err != nil {
		t.Fatalf("Deliver again: %v", err)
	}
	if want := (docbridge.Receipt{MESID: first.MESID, Status: http.StatusOK, RequestID: again.RequestID, Duplicate: true}); again != want {
		t.Errorf("resend Receipt = %+v, want %+v", again, want)
	}

	if got, want := e.sim.Count(), 1; got != want {
		t.Errorf("Count() = %d, want %d", got, want)
	}
	if got, want := e.sim.Requests(), 2; got != want {
		t.Errorf("Requests() = %d, want %d", got, want)
	}
	want := []messim.Stored{{
		UniqueID: d.UniqueID, MESID: first.MESID, Patient: "mes-patient-A", SHA1: d.SHA1, Size: d.Size,
		TypeSystem: "http://loinc.org", TypeCode: "11502-2", ContentType: "application/pdf", Status: "current",
		Profile: "mes-api", History: []string{"create", "resend"},
	}}
	if diff := cmp.Diff(want, e.sim.Documents()); diff != "" {
		t.Errorf("Documents() (-want +got):\n%s", diff)
	}

	// Read back what MES stored, by search then retrieval.
	st, body := e.get(t, "/DocumentReference?"+url.Values{"patient:identifier": {insSystem + "|" + insA}}.Encode(), e.pA)
	var bundle struct {
		Total int
		Entry []struct {
			Resource struct {
				ID      string
				Content []struct{ Attachment struct{ URL, Hash string } }
			}
		}
	}
	if err := json.Unmarshal(body, &bundle); err != nil || st != http.StatusOK || bundle.Total != 1 {
		t.Fatalf("search: HTTP %d, total %d, err %v", st, bundle.Total, err)
	}
	u, _ := url.Parse(bundle.Entry[0].Resource.Content[0].Attachment.URL)
	st, got := e.get(t, u.Path, e.pA)
	if st != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d", u.Path, st)
	}
	if sum := sha1.Sum(got); hex.EncodeToString(sum[:]) != d.SHA1 {
		t.Errorf("retrieved content SHA-1 = %x, want %s", sum, d.SHA1)
	}
}

func TestDeliverReplaceAndDelete(t *testing.T) {
	e := newEnv(t, messim.Options{})
	v1 := testDoc("urn:oid:1.2.250.1.999.3.1", []byte("version 1"))
	v2 := testDoc("urn:oid:1.2.250.1.999.3.2", []byte("version 2"))
	v2.Action, v2.Replaces = docbridge.Replace, v1.UniqueID
	del := &docbridge.Document{UniqueID: v2.UniqueID, Action: docbridge.Delete}

	for _, d := range []*docbridge.Document{v1, v2} {
		if _, err := e.deliver(t, d, e.pA); err != nil {
			t.Fatalf("Deliver %s: %v", d.UniqueID, err)
		}
	}
	r, err := e.client.Deliver(context.Background(), del, nil, e.pA)
	if err != nil || r.Status != http.StatusNoContent || r.Duplicate {
		t.Fatalf("delete: %+v, %v; want 204, not duplicate", r, err)
	}
	r, err = e.client.Deliver(context.Background(), del, nil, e.pA)
	if err != nil || !r.Duplicate {
		t.Errorf("delete again: %+v, %v; want a duplicate receipt", r, err)
	}

	var got [][]string
	for _, s := range e.sim.Documents() {
		got = append(got, append([]string{s.UniqueID, s.Status, s.Replaces}, s.History...))
	}
	want := [][]string{
		{v1.UniqueID, "superseded", "", "create", "superseded"},
		{v2.UniqueID, "deleted", v1.UniqueID, "replace", "delete", "delete-again"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}

	// Replacing what is not current, and deleting what does not exist, are refused.
	v3 := testDoc("urn:oid:1.2.250.1.999.3.3", []byte("version 3"))
	v3.Action, v3.Replaces = docbridge.Replace, v1.UniqueID
	if _, err := e.deliver(t, v3, e.pA); docbridge.ReasonOf(err) != docbridge.MESRejected {
		t.Errorf("replace a superseded version: err = %v, want mes-rejected", err)
	}
	unknown := &docbridge.Document{UniqueID: "urn:oid:1.2.250.1.999.3.404", Action: docbridge.Delete}
	if _, err := e.client.Deliver(context.Background(), unknown, nil, e.pA); docbridge.ReasonOf(err) != docbridge.MESRejected {
		t.Errorf("delete unknown: err = %v, want mes-rejected", err)
	}
}

// patientData is what must never appear in an error message.
var patientData = []string{insA, insB, "PAT-TROIS", "DOMINIQUE", "1979-03-28", "51215"}

func TestDeliverRefusals(t *testing.T) {
	e := newEnv(t, messim.Options{Codes: refuseCodes{"JDV_J07|http://loinc.org|99999-9": true}})
	revokedTok := e.sim.AddPatient("mes-patient-R", insA, insSystem)
	e.sim.Revoke(revokedTok)

	otherPatient := testDoc("urn:oid:1.2.250.1.999.4.1", []byte("content"))
	otherPatient.Patient.INS = insB
	badType := testDoc("urn:oid:1.2.250.1.999.4.2", []byte("content"))
	badType.Type.Code = "99999-9"
	taken := testDoc("urn:oid:1.2.250.1.999.4.3", []byte("first content"))
	if _, err := e.deliver(t, taken, e.pA); err != nil {
		t.Fatal(err)
	}
	sameIDOtherContent := testDoc(taken.UniqueID, []byte("other content"))

	tests := []struct {
		name    string
		d       *docbridge.Document
		p       docbridge.Pairing
		reason  docbridge.Reason
		mention string // in the message
	}{
		{"INS of another patient", otherPatient, e.pA, docbridge.MESRejected, "subject.identifier"},
		{"revoked token", testDoc("urn:oid:1.2.250.1.999.4.4", []byte("c")), pairingFor("mes-patient-R", insA, revokedTok), docbridge.PairingRevoked, "expired"},
		{"unknown token", testDoc("urn:oid:1.2.250.1.999.4.5", []byte("c")), pairingFor("mes-patient-A", insA, "nope"), docbridge.PairingRevoked, "security"},
		{"type not in JDV_J07", badType, e.pA, docbridge.MESRejected, "JDV_J07"},
		{"same uniqueId, other content", sameIDOtherContent, e.pA, docbridge.MESRejected, "HTTP 409"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.deliver(t, tt.d, tt.p)
			if got := docbridge.ReasonOf(err); got != tt.reason {
				t.Fatalf("ReasonOf(%v) = %q, want %q", err, got, tt.reason)
			}
			msg := err.Error()
			t.Log(msg)
			if !strings.Contains(msg, tt.mention) {
				t.Errorf("message %q does not mention %q", msg, tt.mention)
			}
			for _, pd := range patientData {
				if strings.Contains(msg, pd) {
					t.Errorf("message %q carries patient data %q", msg, pd)
				}
			}
		})
	}
	if got, want := e.sim.Count(), 1; got != want {
		t.Errorf("Count() = %d, want %d", got, want)
	}
}

// refuseCodes is a CodeChecker that refuses the "vs|system|code" it lists.
type refuseCodes map[string]bool

func (r refuseCodes) Contains(vs, system, code string) bool { return !r[vs+"|"+system+"|"+code] }

// TestDeliverNeverSendsWrongContent checks, on the server side, that a
// content differing from its SHA-1 (caught only at its last byte) never
// arrives as a complete body.
func TestDeliverNeverSendsWrongContent(t *testing.T) {
	type seen struct {
		n        int
		complete bool
	}
	got := make(chan seen, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		got <- seen{len(b), err == nil && json.Valid(b)}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(ts.Close)
	d := testDoc("urn:oid:1.2.250.1.999.5.1", bytes.Repeat([]byte("a"), 300_000))
	wrong := bytes.Repeat([]byte("a"), 300_000)
	wrong[299_999] = 'b'

	c := mes.NewClient(mes.Options{BaseURL: ts.URL})
	_, err := c.Deliver(context.Background(), d, bytes.NewReader(wrong), pairingFor("m", insA, "tok"))
	if !errors.Is(err, mes.ErrContentMismatch) || docbridge.ReasonOf(err) != docbridge.Internal {
		t.Fatalf("err = %v, want internal wrapping ErrContentMismatch", err)
	}
	select {
	case s := <-got:
		if s.complete {
			t.Errorf("the server received a complete body (%d bytes)", s.n)
		}
		t.Logf("the server saw %d bytes, then the request broke off", s.n)
	case <-time.After(5 * time.Second):
		// The request may also die before the handler runs.
	}
}

func TestDeliverPreconditions(t *testing.T) {
	c := mes.NewClient(mes.Options{BaseURL: "http://127.0.0.1:1"}) // never reached
	p := pairingFor("m", insA, "tok")
	revoked := p
	revoked.Revoked = true
	noToken := p
	noToken.AccessToken = ""
	noINS := testDoc("urn:oid:1.2.3", nil)
	noINS.Patient.INS = ""
	tests := []struct {
		name   string
		d      *docbridge.Document
		p      docbridge.Pairing
		reason docbridge.Reason
	}{
		{"revoked pairing", testDoc("urn:oid:1.2.3", nil), revoked, docbridge.PairingRevoked},
		{"no token", testDoc("urn:oid:1.2.3", nil), noToken, docbridge.Internal},
		{"no INS", noINS, p, docbridge.MissingINS},
		{"no uniqueId", testDoc("", nil), p, docbridge.MissingMetadata},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Deliver(context.Background(), tt.d, bytes.NewReader(nil), tt.p)
			if got := docbridge.ReasonOf(err); got != tt.reason {
				t.Errorf("ReasonOf(%v) = %q, want %q", err, got, tt.reason)
			}
		})
	}
}

func TestDeliverConcurrent(t *testing.T) {
	e := newEnv(t, messim.Options{})
	const docs, sends = 20, 3
	var wg sync.WaitGroup
	errs := make(chan error, docs*sends)
	for i := range docs {
		d := testDoc(fmt.Sprintf("urn:oid:1.2.250.1.999.6.%d", i), bytes.Repeat([]byte{byte(i)}, 10_000+i))
		for range sends {
			wg.Go(func() {
				if _, err := e.deliver(t, d, e.pA); err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := e.sim.Count(); got != docs {
		t.Errorf("Count() = %d, want %d", got, docs)
	}
	if got := e.sim.Requests(); got != docs*sends {
		t.Errorf("Requests() = %d, want %d", got, docs*sends)
	}
}

func TestDeliverRetriesAfterFault(t *testing.T) {
	e := newEnv(t, messim.Options{Faults: messim.FailFirst(1, http.StatusServiceUnavailable)})
	d := testDoc("urn:oid:1.2.250.1.999.7.1", []byte("content"))
	_, err := e.deliver(t, d, e.pA)
	var de *docbridge.Error
	if !errors.As(err, &de) || de.Reason != docbridge.MESUnavailable || de.RetryAfter.Seconds() != 1 {
		t.Fatalf("first try: %v, want mes-unavailable with RetryAfter 1s", err)
	}
	if _, err := e.deliver(t, d, e.pA); err != nil {
		t.Fatalf("second try: %v", err)
	}
}

func TestDeliverSendsWhatWriteDocumentReferenceWrites(t *testing.T) {
	var got []byte
	var length int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		length = r.ContentLength
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(ts.Close)
	content := bytes.Repeat([]byte("0123456789"), 70_001) // several chunks, not a multiple of 3
	d := testDoc("urn:oid:1.2.250.1.999.12.1", content)
	p := pairingFor("m", insA, "tok")
	if _, err := mes.NewClient(mes.Options{BaseURL: ts.URL}).Deliver(context.Background(), d, bytes.NewReader(content), p); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := mes.WriteDocumentReference(&want, d, bytes.NewReader(content), &p); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("sent %d bytes that differ from the %d WriteDocumentReference writes", len(got), want.Len())
	}
	if length != int64(want.Len()) {
		t.Errorf("Content-Length = %d, want %d", length, want.Len())
	}
}

// TestSimulatorRefusesHandCraftedHash sends, by hand, a body whose hash was
// altered after rendering.
func TestSimulatorRefusesHandCraftedHash(t *testing.T) {
	e := newEnv(t, messim.Options{})
	d := testDoc("urn:oid:1.2.250.1.999.13.1", []byte("the content"))
	var body bytes.Buffer
	if err := mes.WriteDocumentReference(&body, d, bytes.NewReader(d.Content), &e.pA); err != nil {
		t.Fatal(err)
	}
	other := sha1.Sum([]byte("other content"))
	var doc map[string]any
	json.Unmarshal(body.Bytes(), &doc)
	att := doc["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)
	att["hash"] = base64.StdEncoding.EncodeToString(other[:])
	crafted, _ := json.Marshal(doc)

	req, _ := http.NewRequest(http.MethodPost, e.base+"/DocumentReference", bytes.NewReader(crafted))
	req.Header.Set("Authorization", "Bearer "+e.pA.AccessToken)
	req.Header.Set("Content-Type", "application/fhir+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var oo struct {
		ResourceType string
		Issue        []struct {
			Code       string
			Expression []string
		}
	}
	json.NewDecoder(resp.Body).Decode(&oo)
	if resp.StatusCode != http.StatusUnprocessableEntity || oo.ResourceType != "OperationOutcome" ||
		len(oo.Issue) != 1 || oo.Issue[0].Expression[0] != "DocumentReference.content[0].attachment.hash" {
		t.Errorf("HTTP %d %+v, want 422 with one issue at attachment.hash", resp.StatusCode, oo)
	}
	if e.sim.Count() != 0 {
		t.Error("the simulator stored the document")
	}
}

// TestDeliverOIDRootedUniqueID: a uniqueId with an extension ("root^ext")
// travels as the extension in the root's system; a resend, a replacement and
// a delete all find it.
func TestDeliverOIDRootedUniqueID(t *testing.T) {
	e := newEnv(t, messim.Options{})
	v1 := testDoc("1.2.250.1.999.4^CR-2026-001", []byte("version 1"))
	v2 := testDoc("1.2.250.1.999.4^CR-2026-002", []byte("version 2"))
	v2.Action, v2.Replaces = docbridge.Replace, v1.UniqueID
	if _, err := e.deliver(t, v1, e.pA); err != nil {
		t.Fatalf("Deliver v1: %v", err)
	}
	if r, err := e.deliver(t, v1, e.pA); err != nil || !r.Duplicate {
		t.Fatalf("resend v1: %+v, %v; want a duplicate receipt", r, err)
	}
	if _, err := e.deliver(t, v2, e.pA); err != nil {
		t.Fatalf("Deliver v2: %v", err)
	}
	del := &docbridge.Document{UniqueID: v2.UniqueID, Action: docbridge.Delete}
	if _, err := e.client.Deliver(context.Background(), del, nil, e.pA); err != nil {
		t.Fatalf("delete v2: %v", err)
	}
	var got [][]string
	for _, s := range e.sim.Documents() {
		got = append(got, []string{s.UniqueID, s.Status})
	}
	want := [][]string{{v1.UniqueID, "superseded"}, {v2.UniqueID, "deleted"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
	var body bytes.Buffer
	if err := mes.WriteDocumentReference(&body, v1, bytes.NewReader(v1.Content), &e.pA); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body.String(), `"system": "urn:oid:1.2.250.1.999.4"`) || !strings.Contains(body.String(), `"value": "CR-2026-001"`) {
		t.Errorf("masterIdentifier not written as root system + extension:\n%.600s", body.String())
	}
}

// TestDeliverSecurityLabels: visibility labels (TRE_A07) travel beside the
// confidentiality code, and the simulator checks them against JDV_J08.
func TestDeliverSecurityLabels(t *testing.T) {
	maps, err := mappings.Load("")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, messim.Options{Codes: maps})
	d := testDoc("urn:oid:1.2.250.1.999.5.1", []byte("hidden from the patient for now"))
	d.SecurityLabels = []docbridge.Coding{{System: "urn:oid:1.2.250.1.213.1.1.4.13", Code: "INVISIBLE_PATIENT"}}
	if _, err := e.deliver(t, d, e.pA); err != nil {
		t.Fatalf("Deliver with a visibility label: %v", err)
	}
	d2 := testDoc("urn:oid:1.2.250.1.999.5.2", []byte("bad label"))
	d2.SecurityLabels = []docbridge.Coding{{System: "urn:oid:1.2.250.1.213.1.1.4.13", Code: "NOT_A_LABEL"}}
	if _, err := e.deliver(t, d2, e.pA); docbridge.ReasonOf(err) != docbridge.MESRejected {
		t.Errorf("unknown label: err = %v, want mes-rejected", err)
	}
}
