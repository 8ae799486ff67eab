package mes_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/mes/messim"
	"github.com/google/go-cmp/cmp"
)

func TestSearchBothProfiles(t *testing.T) {
	for _, profile := range []string{mes.ProfileMESAPI, mes.ProfilePDSm} {
		t.Run(profile, func(t *testing.T) {
			e := newEnv(t, messim.Options{})
			c := mes.NewClient(mes.Options{BaseURL: e.base, Profile: profile, SourceID: sourceID})
			v1 := testDoc("urn:oid:1.2.250.1.999.40.1", []byte("version 1"))
			v2 := testDoc("1.2.250.1.999.40^v2", []byte("version 2"))
			v2.Action, v2.Replaces = docbridge.Replace, v1.UniqueID
			letter := testDoc("urn:oid:1.2.250.1.999.40.3", []byte("a letter"))
			letter.Type = docbridge.Coding{System: "http://loinc.org", Code: "11490-0"}
			gone := testDoc("urn:oid:1.2.250.1.999.40.4", []byte("deleted"))
			for _, d := range []*docbridge.Document{v1, v2, letter, gone} {
				if _, err := c.Deliver(context.Background(), d, bytes.NewReader(d.Content), e.pA); err != nil {
					t.Fatalf("Deliver %s: %v", d.UniqueID, err)
				}
			}
			if _, err := c.Deliver(context.Background(), &docbridge.Document{UniqueID: gone.UniqueID, Action: docbridge.Delete}, nil, e.pA); err != nil {
				t.Fatal(err)
			}
			ids := func(q mes.SearchQuery) []string {
				t.Helper()
				found, err := c.Search(context.Background(), e.pA, q)
				if err != nil {
					t.Fatalf("Search %+v: %v", q, err)
				}
				var out []string
				for _, f := range found {
					out = append(out, f.UniqueID+" "+f.Status)
				}
				return out
			}
			tests := []struct {
				q    mes.SearchQuery
				want []string
			}{
				{mes.SearchQuery{}, []string{v2.UniqueID + " current", letter.UniqueID + " current"}},
				{mes.SearchQuery{Status: []string{"superseded"}}, []string{v1.UniqueID + " superseded"}},
				{mes.SearchQuery{Status: []string{"current", "superseded"}, UniqueID: v2.UniqueID}, []string{v2.UniqueID + " current"}},
				{mes.SearchQuery{Type: docbridge.Coding{System: "http://loinc.org", Code: "11490-0"}}, []string{letter.UniqueID + " current"}},
				{mes.SearchQuery{UniqueID: gone.UniqueID, Status: []string{"current", "superseded"}}, nil},
			}
			for _, tt := range tests {
				if diff := cmp.Diff(tt.want, ids(tt.q)); diff != "" {
					t.Errorf("Search %+v (-want +got):\n%s", tt.q, diff)
				}
			}

			found, err := c.Search(context.Background(), e.pA, mes.SearchQuery{UniqueID: v2.UniqueID})
			if err != nil || len(found) != 1 {
				t.Fatalf("Search v2: %+v, %v", found, err)
			}
			f := found[0]
			want := mes.Found{
				MESID: f.MESID, UniqueID: v2.UniqueID, Status: "current",
				Type:  docbridge.Coding{System: "http://loinc.org", Code: "11502-2"},
				Title: v2.Title, Creation: v2.Creation, ContentType: "application/pdf",
				Size: v2.Size, SHA1: v2.SHA1, URL: e.base + "/Binary/" + f.MESID, Replaces: v1.UniqueID,
			}
			if diff := cmp.Diff(want, f); diff != "" || f.MESID == "" {
				t.Errorf("Found (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSearchFollowsPages: five documents, two a page.
func TestSearchFollowsPages(t *testing.T) {
	var gets atomic.Int32
	sim := messim.New(messim.Options{})
	counted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			gets.Add(1)
		}
		sim.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(counted.Close)
	tok := sim.AddPatient("mes-patient-A", insA, insSystem)
	p := pairingFor("mes-patient-A", insA, tok)
	for _, profile := range []string{mes.ProfileMESAPI, mes.ProfilePDSm} {
		c := mes.NewClient(mes.Options{BaseURL: counted.URL, Profile: profile, SourceID: sourceID})
		if profile == mes.ProfileMESAPI {
			for i := range 5 {
				d := testDoc(fmt.Sprintf("urn:oid:1.2.250.1.999.41.%d", i), []byte{byte(i)})
				if _, err := c.Deliver(context.Background(), d, bytes.NewReader(d.Content), p); err != nil {
					t.Fatal(err)
				}
			}
		}
		gets.Store(0)
		found, err := c.Search(context.Background(), p, mes.SearchQuery{PageSize: 2})
		if err != nil || len(found) != 5 {
			t.Fatalf("%s: Search: %d found, %v; want 5", profile, len(found), err)
		}
		if got := gets.Load(); got != 3 {
			t.Errorf("%s: %d pages read, want 3", profile, got)
		}
	}
}

func TestSearchErrors(t *testing.T) {
	p := pairingFor("m", insA, "tok")
	revoked := p
	revoked.Revoked = true
	noINS := p
	noINS.Patient.INS = ""
	offHost := `{"resourceType":"Bundle","type":"searchset","link":[{"relation":"next","url":"https://elsewhere.example/DocumentReference?page=2"}],"entry":[]}`
	tests := []struct {
		name    string
		a       answer
		p       docbridge.Pairing
		reason  docbridge.Reason
		mention string
	}{
		{"revoked pairing", answer{status: 200}, revoked, docbridge.PairingRevoked, "revoked"},
		{"pairing without INS", answer{status: 200}, noINS, docbridge.MissingINS, "no INS"},
		{"401", answer{status: 401, body: outcomeJSON("expired", "token expired")}, p, docbridge.PairingRevoked, "HTTP 401"},
		{"400", answer{status: 400, body: outcomeJSON("required", "status is required")}, p, docbridge.MESRejected, "status is required"},
		{"503", answer{status: 503}, p, docbridge.MESUnavailable, "HTTP 503"},
		{"not a searchset", answer{status: 200, body: `{"resourceType":"OperationOutcome"}`}, p, docbridge.MESUnavailable, "searchset"},
		{"next link off the MES host", answer{status: 200, body: offHost}, p, docbridge.Internal, "elsewhere.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mes.NewClient(mes.Options{BaseURL: fakeMES(t, tt.a), Profile: mes.ProfilePDSm})
			_, err := c.Search(context.Background(), tt.p, mes.SearchQuery{})
			if got := docbridge.ReasonOf(err); got != tt.reason || !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("err = %v, want %s mentioning %q", err, tt.reason, tt.mention)
			}
			if err != nil && strings.Contains(err.Error(), insA) {
				t.Errorf("message %q carries the INS", err)
			}
		})
	}
}

// TestSearchRequest checks what each profile asks of MES.
func TestSearchRequest(t *testing.T) {
	got := make(chan url.Values, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.Query()
		io.WriteString(w, `{"resourceType":"Bundle","type":"searchset","entry":[]}`)
	}))
	t.Cleanup(ts.Close)
	q := mes.SearchQuery{Status: []string{"current", "superseded"}, UniqueID: "1.2.250.1.999.4^CR-1", Type: docbridge.Coding{System: "http://loinc.org", Code: "11502-2"}, PageSize: 10}
	tests := []struct {
		profile string
		want    url.Values
	}{
		{mes.ProfileMESAPI, url.Values{"patient:identifier": {insSystem + "|" + insA}, "_count": {"10"}}},
		{mes.ProfilePDSm, url.Values{
			"patient.identifier": {insSystem + "|" + insA}, "status": {"current,superseded"}, "_count": {"10"},
			"identifier": {"urn:oid:1.2.250.1.999.4|CR-1"}, "type": {"http://loinc.org|11502-2"},
		}},
	}
	for _, tt := range tests {
		c := mes.NewClient(mes.Options{BaseURL: ts.URL, Profile: tt.profile})
		if _, err := c.Search(context.Background(), pairingFor("m", insA, "tok"), q); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, <-got); diff != "" {
			t.Errorf("%s query (-want +got):\n%s", tt.profile, diff)
		}
	}
}
