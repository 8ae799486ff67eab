package mes_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/mes/messim"
	"github.com/google/go-cmp/cmp"
)

const sourceID = "1.2.250.1.999.77"

var bundleOptions = mes.BundleOptions{SourceID: sourceID, Now: fixedNow}

func TestWriteBundleGolden(t *testing.T) {
	content := []byte("%PDF-1.4 synthetic report for tests\n%%EOF\n")
	p := pairingFor("mes-patient-1", insA, "secret-token")
	replace := testDoc("urn:oid:1.2.250.1.999.1.2", content)
	replace.Action, replace.Replaces = docbridge.Replace, "urn:oid:1.2.250.1.999.1.1"
	del := &docbridge.Document{UniqueID: "urn:oid:1.2.250.1.999.1.2", Action: docbridge.Delete}
	tests := []struct {
		name string
		d    *docbridge.Document
		p    *docbridge.Pairing
		o    mes.BundleOptions
	}{
		{"bundle.golden.json", testDoc("urn:oid:1.2.250.1.999.1.1", content), &p, bundleOptions},
		{"bundle-placeholder.golden.json", testDoc("urn:oid:1.2.250.1.999.1.1", content), nil, mes.BundleOptions{Now: fixedNow}},
		{"bundle-replace.golden.json", replace, &p, bundleOptions},
		{"bundle-delete.golden.json", del, &p, bundleOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := mes.WriteBundle(&b, tt.d, bytes.NewReader(content), tt.p, tt.o); err != nil {
				t.Fatalf("WriteBundle: %v", err)
			}
			golden(t, tt.name, b.Bytes())
		})
	}
}

// wireBundle is what a reader of the bundle finds, for the parse-back test.
type wireBundle struct {
	ResourceType, Type, Timestamp string
	Entry                         []struct {
		FullURL  string
		Resource struct {
			ResourceType string
			ContentType  string
			Data         string
			Identifier   []struct{ System, Value string }
			Subject      struct {
				Reference  string
				Identifier struct{ System, Value string }
			}
			Entry     []struct{ Item struct{ Reference string } }
			RelatesTo []struct {
				Code   string
				Target struct {
					Reference  string
					Identifier struct{ System, Value string }
				}
			}
			Content []struct {
				Attachment struct {
					URL, Hash, ContentType string
					Size                   int64
				}
			}
		}
		Request struct{ Method, URL string }
	}
}

func parseBundle(t *testing.T, b []byte) wireBundle {
	t.Helper()
	if !json.Valid(b) {
		t.Fatal("the bundle is not valid JSON")
	}
	var w wireBundle
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestWriteBundleParsesBack(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789<>&\"\\ é\n"), 5000) // not a multiple of 3, with JSON-special bytes
	d := testDoc("urn:uuid:6b1a3d8e-1c4f-4a57-9a7e-3f1c2b0d9e11", content)
	d.Action, d.Replaces = docbridge.Replace, "1.2.250.1.999.4^CR-1"
	p := pairingFor("mes-patient-1", insA, "t")
	var b bytes.Buffer
	if err := mes.WriteBundle(&b, d, bytes.NewReader(content), &p, bundleOptions); err != nil {
		t.Fatal(err)
	}
	w := parseBundle(t, b.Bytes())
	var types, requests []string
	for _, e := range w.Entry {
		types = append(types, e.Resource.ResourceType)
		requests = append(requests, e.Request.Method+" "+e.Request.URL)
	}
	conditional := "DocumentReference?identifier=urn%3Aoid%3A1.2.250.1.999.4%7CCR-1"
	if diff := cmp.Diff([]string{"List", "Parameters", "DocumentReference", "Binary"}, types); diff != "" {
		t.Fatalf("entries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"POST List", "PATCH " + conditional, "POST DocumentReference", "POST Binary"}, requests); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	list, doc, bin := w.Entry[0], w.Entry[2], w.Entry[3]
	data, err := base64.StdEncoding.DecodeString(bin.Resource.Data)
	if err != nil || !bytes.Equal(data, content) {
		t.Errorf("Binary.data does not decode to the content (%v)", err)
	}
	sum := sha1.Sum(content)
	rt := doc.Resource.RelatesTo
	checks := []struct{ name, got, want string }{
		{"type", w.Type, "transaction"},
		{"timestamp", w.Timestamp, "2026-03-01T10:00:00Z"},
		{"List.entry.item", list.Resource.Entry[0].Item.Reference, doc.FullURL},
		{"List.subject", list.Resource.Subject.Reference, "Patient/mes-patient-1"},
		{"List.identifier (2.25 OID)", list.Resource.Identifier[0].Value[:len("urn:oid:2.25.")], "urn:oid:2.25."},
		{"attachment.url", doc.Resource.Content[0].Attachment.URL, bin.FullURL},
		{"attachment.hash", doc.Resource.Content[0].Attachment.Hash, base64.StdEncoding.EncodeToString(sum[:])},
		{"Binary.contentType", bin.Resource.ContentType, d.ContentType},
		{"subject INS", doc.Resource.Subject.Identifier.Value, insA},
		{"relatesTo.code", rt[0].Code, "replaces"},
		{"relatesTo.target.reference", rt[0].Target.Reference, conditional},
		{"relatesTo.target.identifier", rt[0].Target.Identifier.System + "|" + rt[0].Target.Identifier.Value, "urn:oid:1.2.250.1.999.4|CR-1"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if got, want := doc.Resource.Content[0].Attachment.Size, int64(len(content)); got != want {
		t.Errorf("attachment.size = %d, want %d", got, want)
	}
	for _, e := range w.Entry {
		if !strings.HasPrefix(e.FullURL, "urn:uuid:") || len(e.FullURL) != len("urn:uuid:")+36 {
			t.Errorf("fullUrl %q is not a urn:uuid", e.FullURL)
		}
	}
}

// TestWriteBundleIsStable: the same document makes the same bundle but for
// its submission time; another document makes other ids.
func TestWriteBundleIsStable(t *testing.T) {
	content := []byte("content")
	render := func(d *docbridge.Document, now time.Time) string {
		var b bytes.Buffer
		if err := mes.WriteBundle(&b, d, bytes.NewReader(content), nil, mes.BundleOptions{SourceID: sourceID, Now: func() time.Time { return now }}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	d := testDoc("urn:oid:1.2.250.1.999.1.1", content)
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	a, again := render(d, t0), render(d, t0.Add(time.Hour))
	if a == again {
		t.Fatal("the submission time did not change the bundle")
	}
	if strings.ReplaceAll(again, "2026-03-01T11:00:00Z", "2026-03-01T10:00:00Z") != a {
		t.Error("the same document gave bundles that differ beyond the submission time")
	}
	other := render(testDoc("urn:oid:1.2.250.1.999.1.9", content), t0)
	first := func(s string) string { i := strings.Index(s, "urn:uuid:"); return s[i : i+45] }
	if first(a) == first(other) {
		t.Error("two documents share a fullUrl")
	}
}

func TestWriteBundleRefusesWrongContent(t *testing.T) {
	content := []byte("the right content")
	for _, wrong := range [][]byte{[]byte("the wrong content"), []byte("the right"), []byte("the right content, and more")} {
		var b bytes.Buffer
		err := mes.WriteBundle(&b, testDoc("urn:oid:1.2.3", content), bytes.NewReader(wrong), nil, bundleOptions)
		if !errors.Is(err, mes.ErrContentMismatch) || docbridge.ReasonOf(err) != docbridge.Internal {
			t.Fatalf("%q: err = %v, want Internal wrapping ErrContentMismatch", wrong, err)
		}
		if json.Valid(b.Bytes()) {
			t.Errorf("%q: a complete body was written for wrong content", wrong)
		}
	}
}

func TestWriteBundleRefusesUnrenderable(t *testing.T) {
	noSHA := testDoc("urn:oid:1.2.3", nil)
	noSHA.SHA1 = "not hex"
	replace := testDoc("urn:oid:1.2.3", nil)
	replace.Action = docbridge.Replace
	byServerID := testDoc("urn:oid:1.2.3", nil)
	byServerID.Action, byServerID.ReplacesServerID = docbridge.Replace, "dr-0001"
	bare := testDoc("urn:oid:1.2.3", nil)
	bare.Custodian, bare.ServiceStart, bare.FacilityType, bare.Authors = nil, "", docbridge.Coding{}, nil
	tests := []struct {
		name    string
		d       *docbridge.Document
		o       mes.BundleOptions
		reason  docbridge.Reason
		mention string
	}{
		{"no valid SHA-1", noSHA, bundleOptions, docbridge.Internal, "SHA-1"},
		{"replace without Replaces", replace, bundleOptions, docbridge.MissingMetadata, "does not say which"},
		{"replace by MES id, unresolved", byServerID, bundleOptions, docbridge.MissingMetadata, "by its MES id only"},
		{"PDSm elements missing", bare, bundleOptions, docbridge.MissingMetadata, "author, custodian, context.period.start (service start), context.facilityType"},
		{"source id not an OID", testDoc("urn:oid:1.2.3", nil), mes.BundleOptions{SourceID: "lab-1"}, docbridge.Internal, "mes.source_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := mes.WriteBundle(&b, tt.d, bytes.NewReader(nil), nil, tt.o)
			if got := docbridge.ReasonOf(err); got != tt.reason || !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("err = %v, want %s mentioning %q", err, tt.reason, tt.mention)
			}
			if b.Len() != 0 {
				t.Errorf("wrote %d bytes, want none", b.Len())
			}
		})
	}
}

// pdsmEnv is a simulator with patient A paired and a pdsm-iti65 client.
func pdsmEnv(t *testing.T, o messim.Options) *env {
	t.Helper()
	e := newEnv(t, o)
	e.client = mes.NewClient(mes.Options{BaseURL: e.base, Profile: mes.ProfilePDSm, SourceID: sourceID})
	return e
}

func TestDeliverPDSmEndToEnd(t *testing.T) {
	maps, err := mappings.Load("")
	if err != nil {
		t.Fatal(err)
	}
	e := pdsmEnv(t, messim.Options{Codes: maps})
	v1 := testDoc("urn:oid:1.2.250.1.999.30.1", []byte("version 1"))
	v2 := testDoc("urn:oid:1.2.250.1.999.30.2", []byte("version 2"))
	v2.Action, v2.Replaces = docbridge.Replace, v1.UniqueID
	del := &docbridge.Document{UniqueID: v2.UniqueID, Action: docbridge.Delete}

	first, err := e.deliver(t, v1, e.pA)
	if err != nil {
		t.Fatalf("Deliver v1: %v", err)
	}
	if first.MESID == "" || first.Status != http.StatusOK || first.Duplicate {
		t.Errorf("v1 Receipt = %+v, want a MES id, 200, not duplicate", first)
	}
	again, err := e.deliver(t, v1, e.pA)
	if err != nil || !again.Duplicate || again.MESID != first.MESID {
		t.Errorf("resend v1: %+v, %v; want a duplicate receipt with MES id %s", again, err, first.MESID)
	}
	if r, err := e.deliver(t, v2, e.pA); err != nil || r.Duplicate || r.MESID == first.MESID {
		t.Fatalf("Deliver v2: %+v, %v", r, err)
	}
	if r, err := e.deliver(t, v2, e.pA); err != nil || !r.Duplicate {
		t.Errorf("resend the replacement: %+v, %v; want a duplicate receipt", r, err)
	}
	r, err := e.client.Deliver(context.Background(), del, nil, e.pA)
	if err != nil || r.Status != http.StatusOK || r.Duplicate {
		t.Fatalf("delete: %+v, %v; want 200, not duplicate", r, err)
	}
	if r, err := e.client.Deliver(context.Background(), del, nil, e.pA); err != nil || !r.Duplicate {
		t.Errorf("delete again: %+v, %v; want a duplicate receipt", r, err)
	}

	var got [][]string
	for _, s := range e.sim.Documents() {
		got = append(got, append([]string{s.UniqueID, s.Status, s.Replaces, s.Profile}, s.History...))
	}
	want := [][]string{
		{v1.UniqueID, "deleted", "", "pdsm-iti65", "create", "resend", "superseded", "deleted-with-replacement"},
		{v2.UniqueID, "deleted", v1.UniqueID, "pdsm-iti65", "replace", "resend", "delete"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
	if got, want := e.sim.Requests(), 6; got != want {
		t.Errorf("Requests() = %d, want %d", got, want)
	}
}

func TestDeliverPDSmRefusals(t *testing.T) {
	e := pdsmEnv(t, messim.Options{Codes: refuseCodes{"JDV_J07|http://loinc.org|99999-9": true}})
	revokedTok := e.sim.AddPatient("mes-patient-R", insA, insSystem)
	e.sim.Revoke(revokedTok)
	otherPatient := testDoc("urn:oid:1.2.250.1.999.31.1", []byte("content"))
	otherPatient.Patient.INS = insB
	badType := testDoc("urn:oid:1.2.250.1.999.31.2", []byte("content"))
	badType.Type.Code = "99999-9"
	orphan := testDoc("urn:oid:1.2.250.1.999.31.3", []byte("content"))
	orphan.Action, orphan.Replaces = docbridge.Replace, "urn:oid:1.2.250.1.999.31.404"
	noINS := testDoc("urn:oid:1.2.250.1.999.31.4", []byte("content"))
	noINS.Patient.INS = ""

	noSource := mes.NewClient(mes.Options{BaseURL: e.base, Profile: mes.ProfilePDSm})
	unknown := mes.NewClient(mes.Options{BaseURL: e.base, Profile: "xds"})
	tests := []struct {
		name    string
		c       *mes.Client
		d       *docbridge.Document
		p       docbridge.Pairing
		reason  docbridge.Reason
		mention string
	}{
		{"INS of another patient", e.client, otherPatient, e.pA, docbridge.MESRejected, "HTTP 403"},
		{"revoked token", e.client, testDoc("urn:oid:1.2.250.1.999.31.5", []byte("c")), pairingFor("mes-patient-R", insA, revokedTok), docbridge.PairingRevoked, "expired"},
		{"type not in JDV_J07", e.client, badType, e.pA, docbridge.MESRejected, "JDV_J07"},
		{"replacing what MES does not have", e.client, orphan, e.pA, docbridge.MESRejected, "not-found"},
		{"no INS", e.client, noINS, e.pA, docbridge.MissingINS, "no INS"},
		{"no source id", noSource, testDoc("urn:oid:1.2.250.1.999.31.6", []byte("c")), e.pA, docbridge.Internal, "mes.source_id"},
		{"unknown profile", unknown, testDoc("urn:oid:1.2.250.1.999.31.7", []byte("c")), e.pA, docbridge.Internal, "mes.profile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.Deliver(context.Background(), tt.d, bytes.NewReader(tt.d.Content), tt.p)
			if got := docbridge.ReasonOf(err); got != tt.reason {
				t.Fatalf("ReasonOf(%v) = %q, want %q", err, got, tt.reason)
			}
			msg := err.Error()
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
	if got := e.sim.Count(); got != 0 {
		t.Errorf("Count() = %d, want 0", got)
	}
}

func TestDeliverPDSmSendsWhatWriteBundleWrites(t *testing.T) {
	var got []byte
	var length int64
	var path, ctype string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		length, path, ctype = r.ContentLength, r.URL.Path, r.Header.Get("Content-Type")
		w.Header().Set("Content-Type", "application/fhir+json")
		io.WriteString(w, `{"resourceType":"Bundle","type":"transaction-response","entry":[{"response":{"status":"201 Created","location":"List/1"}},{"response":{"status":"201 Created","location":"DocumentReference/dr-9/_history/1"}},{"response":{"status":"201 Created","location":"Binary/b-9"}}]}`)
	}))
	t.Cleanup(ts.Close)
	content := bytes.Repeat([]byte("0123456789"), 70_001) // several chunks, not a multiple of 3
	d := testDoc("urn:oid:1.2.250.1.999.32.1", content)
	p := pairingFor("m", insA, "tok")
	c := mes.NewClient(mes.Options{BaseURL: ts.URL + "/api/", Profile: mes.ProfilePDSm, SourceID: sourceID, Now: fixedNow})
	r, err := c.Deliver(context.Background(), d, bytes.NewReader(content), p)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := mes.WriteBundle(&want, d, bytes.NewReader(content), &p, bundleOptions); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("sent %d bytes that differ from the %d WriteBundle writes", len(got), want.Len())
	}
	if length != int64(want.Len()) || path != "/api/" || ctype != "application/fhir+json" {
		t.Errorf("Content-Length %d, path %q, Content-Type %q; want %d, /api/, application/fhir+json", length, path, ctype, want.Len())
	}
	if r.MESID != "dr-9" || r.Duplicate || r.Status != 200 {
		t.Errorf("Receipt = %+v, want MES id dr-9, 200, not duplicate", r)
	}
}

// TestDeliverPDSmAnswers classifies ITI-65 and delete answers.
func TestDeliverPDSmAnswers(t *testing.T) {
	txResponse := func(docStatus, location string) string {
		return `{"resourceType":"Bundle","type":"transaction-response","entry":[{"response":{"status":"201"}},{"response":{"status":"` + docStatus + `","location":"` + location + `"}},{"response":{"status":"201"}}]}`
	}
	d := testDoc("urn:oid:1.2.250.1.999.33.1", []byte("content"))
	del := &docbridge.Document{UniqueID: d.UniqueID, Action: docbridge.Delete}
	tests := []struct {
		name   string
		d      *docbridge.Document
		a      answer
		want   docbridge.Receipt // RequestID not compared; with an error, MES's status
		reason docbridge.Reason
	}{
		{"created, absolute location", d, answer{status: 200, body: txResponse("201 Created", "https://mes.example/api/DocumentReference/dr-1/_history/1")}, docbridge.Receipt{MESID: "dr-1", Status: 200}, ""},
		{"created, relative location", d, answer{status: 200, body: txResponse("201", "DocumentReference/dr-2")}, docbridge.Receipt{MESID: "dr-2", Status: 200}, ""},
		{"resend: entry 200", d, answer{status: 200, body: txResponse("200 OK", "DocumentReference/dr-3/_history/1")}, docbridge.Receipt{MESID: "dr-3", Status: 200, Duplicate: true}, ""},
		{"resend: header", d, answer{status: 200, header: map[string]string{"X-MES-Duplicate": "true"}, body: txResponse("201", "DocumentReference/dr-4")}, docbridge.Receipt{MESID: "dr-4", Status: 200, Duplicate: true}, ""},
		{"committed, unreadable answer", d, answer{status: 200, body: "<html>ok</html>"}, docbridge.Receipt{Status: 200}, ""},
		{"422", d, answer{status: 422, body: outcomeJSON("required", "custodian is required")}, docbridge.Receipt{Status: 422}, docbridge.MESRejected},
		{"503", d, answer{status: 503}, docbridge.Receipt{Status: 503}, docbridge.MESUnavailable},
		{"delete 200", del, answer{status: 200, body: `{"resourceType":"DocumentReference","id":"dr-5","status":"superseded"}`}, docbridge.Receipt{MESID: "dr-5", Status: 200}, ""},
		{"delete of nothing live: 404 not-found", del, answer{status: 404, body: outcomeJSON("not-found", "no live document")}, docbridge.Receipt{Status: 404, Duplicate: true}, ""},
		{"delete: 404 without an outcome", del, answer{status: 404, body: "Not Found"}, docbridge.Receipt{Status: 404}, docbridge.MESRejected},
		{"delete of a superseded version: 422", del, answer{status: 422, body: outcomeJSON("business-rule", "not current")}, docbridge.Receipt{Status: 422}, docbridge.MESRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mes.NewClient(mes.Options{BaseURL: fakeMES(t, tt.a), Profile: mes.ProfilePDSm, SourceID: sourceID})
			got, err := c.Deliver(context.Background(), tt.d, bytes.NewReader(tt.d.Content), pairingFor("m", insA, "tok"))
			if reason := docbridge.ReasonOf(err); reason != tt.reason {
				t.Fatalf("ReasonOf(%v) = %q, want %q", err, reason, tt.reason)
			}
			got.RequestID = ""
			if got != tt.want {
				t.Errorf("Receipt = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestDeliverPDSmNeverSendsWrongContent checks, on the server side, that a
// content differing from its SHA-1 at its last byte never arrives as a
// complete bundle.
func TestDeliverPDSmNeverSendsWrongContent(t *testing.T) {
	got := make(chan bool, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		got <- err == nil && json.Valid(b)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(ts.Close)
	d := testDoc("urn:oid:1.2.250.1.999.34.1", bytes.Repeat([]byte("a"), 300_000))
	wrong := bytes.Repeat([]byte("a"), 300_000)
	wrong[299_999] = 'b'
	c := mes.NewClient(mes.Options{BaseURL: ts.URL, Profile: mes.ProfilePDSm, SourceID: sourceID})
	_, err := c.Deliver(context.Background(), d, bytes.NewReader(wrong), pairingFor("m", insA, "tok"))
	if !errors.Is(err, mes.ErrContentMismatch) || docbridge.ReasonOf(err) != docbridge.Internal {
		t.Fatalf("err = %v, want internal wrapping ErrContentMismatch", err)
	}
	select {
	case complete := <-got:
		if complete {
			t.Error("the server received a complete bundle")
		}
	case <-time.After(5 * time.Second):
		// The request may also die before the handler runs.
	}
}

// TestDeliverEitherProfileOneSimulator: documents sent through either
// profile are one store, searched and retrieved by both.
func TestDeliverEitherProfileOneSimulator(t *testing.T) {
	e := pdsmEnv(t, messim.Options{})
	api := mes.NewClient(mes.Options{BaseURL: e.base})
	v1 := testDoc("urn:oid:1.2.250.1.999.35.1", []byte("sent inline"))
	v2 := testDoc("urn:oid:1.2.250.1.999.35.2", []byte("sent in a bundle"))
	v2.Action, v2.Replaces = docbridge.Replace, v1.UniqueID
	if _, err := api.Deliver(context.Background(), v1, bytes.NewReader(v1.Content), e.pA); err != nil {
		t.Fatal(err)
	}
	if _, err := e.deliver(t, v2, e.pA); err != nil {
		t.Fatalf("a pdsm-iti65 replacement of a mes-api document: %v", err)
	}
	for _, c := range []*mes.Client{api, e.client} {
		found, err := c.Search(context.Background(), e.pA, mes.SearchQuery{})
		if err != nil || len(found) != 1 || found[0].UniqueID != v2.UniqueID {
			t.Fatalf("Search current: %+v, %v; want the replacement", found, err)
		}
		var b bytes.Buffer
		if _, err := c.Retrieve(context.Background(), e.pA, found[0].URL, &b); err != nil || b.String() != "sent in a bundle" {
			t.Errorf("Retrieve: %q, %v", b.String(), err)
		}
	}
}

func BenchmarkWriteBundle(b *testing.B) {
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
		if err := mes.WriteBundle(io.Discard, d, r, &p, bundleOptions); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDeliverPDSmRetriesAfterFault(t *testing.T) {
	e := pdsmEnv(t, messim.Options{Faults: messim.FailFirst(1, http.StatusServiceUnavailable)})
	d := testDoc("urn:oid:1.2.250.1.999.36.1", []byte("content"))
	_, err := e.deliver(t, d, e.pA)
	var de *docbridge.Error
	if !errors.As(err, &de) || de.Reason != docbridge.MESUnavailable || de.RetryAfter != time.Second {
		t.Fatalf("first try: %v, want mes-unavailable with RetryAfter 1s", err)
	}
	if r, err := e.deliver(t, d, e.pA); err != nil || r.Duplicate {
		t.Fatalf("second try: %+v, %v", r, err)
	}
}
