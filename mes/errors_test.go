package mes_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mes"
)

// answer is a canned MES answer.
type answer struct {
	status int
	header map[string]string
	body   string
}

// fakeMES answers a after reading the whole request body.
func fakeMES(t *testing.T, a answer) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

func outcomeJSON(code, diag string) string {
	return `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"` + code + `","diagnostics":"` + diag + `"}]}`
}

func TestDeliverClassifiesAnswers(t *testing.T) {
	tests := []struct {
		name       string
		a          answer
		reason     docbridge.Reason // "" for success
		retryAfter time.Duration
		mention    string
		receipt    docbridge.Receipt // RequestID checked only when set
	}{
		{name: "503 with Retry-After seconds", a: answer{status: 503, header: map[string]string{"Retry-After": "120"}},
			reason: docbridge.MESUnavailable, retryAfter: 120 * time.Second, mention: "HTTP 503"},
		{name: "429", a: answer{status: 429}, reason: docbridge.MESUnavailable, mention: "HTTP 429"},
		{name: "500", a: answer{status: 500, body: outcomeJSON("exception", "boom")}, reason: docbridge.MESUnavailable, mention: "boom"},
		{name: "502", a: answer{status: 502, body: "<html>bad gateway</html>"}, reason: docbridge.MESUnavailable},
		{name: "408", a: answer{status: 408}, reason: docbridge.MESUnavailable},
		{name: "425", a: answer{status: 425}, reason: docbridge.MESUnavailable},
		{name: "400 with outcome", a: answer{status: 400, body: outcomeJSON("structure", "bad json at byte 3")},
			reason: docbridge.MESRejected, mention: "bad json at byte 3"},
		{name: "422 echoing patient data", a: answer{status: 422, body: outcomeJSON("value", "INS 279035121518989 of PAT-TROIS Dominique born 1979-03-28 and 123456789012345")},
			reason: docbridge.MESRejected, mention: "[redacted]"},
		{name: "404", a: answer{status: 404}, reason: docbridge.MESRejected, mention: "HTTP 404"},
		{name: "409", a: answer{status: 409, body: outcomeJSON("duplicate", "other content")}, reason: docbridge.MESRejected},
		{name: "401 bare", a: answer{status: 401}, reason: docbridge.PairingRevoked},
		{name: "403 expired", a: answer{status: 403, body: outcomeJSON("expired", "consent withdrawn")}, reason: docbridge.PairingRevoked, mention: "consent withdrawn"},
		{name: "403 forbidden", a: answer{status: 403, body: outcomeJSON("forbidden", "not your patient")}, reason: docbridge.MESRejected},
		{name: "302", a: answer{status: 302, header: map[string]string{"Location": "/elsewhere"}}, reason: docbridge.MESUnavailable, mention: "base URL"},
		{name: "201 with body id", a: answer{status: 201, body: `{"resourceType":"DocumentReference","id":"from-body"}`, header: map[string]string{"Location": "x/DocumentReference/from-location"}},
			receipt: docbridge.Receipt{MESID: "from-body", Status: 201}},
		{name: "201 with Location", a: answer{status: 201, header: map[string]string{"Location": "https://mes.example/api/DocumentReference/abc/_history/1"}},
			receipt: docbridge.Receipt{MESID: "abc", Status: 201}},
		{name: "200 duplicate header", a: answer{status: 200, header: map[string]string{"X-MES-Duplicate": "true", "Location": "/DocumentReference/abc"}},
			receipt: docbridge.Receipt{MESID: "abc", Status: 200, Duplicate: true}},
		{name: "200 duplicate outcome", a: answer{status: 200, body: `{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"duplicate"}]}`, header: map[string]string{"Location": "/DocumentReference/abc"}},
			receipt: docbridge.Receipt{MESID: "abc", Status: 200, Duplicate: true}},
		{name: "MES request id", a: answer{status: 201, header: map[string]string{"X-Request-Id": "mes-req-1"}},
			receipt: docbridge.Receipt{Status: 201, RequestID: "mes-req-1"}},
		{name: "422 with MES request id", a: answer{status: 422, header: map[string]string{"X-Request-Id": "mes-req-2"}, body: outcomeJSON("value", "bad type")},
			reason: docbridge.MESRejected, mention: "mes-req-2", receipt: docbridge.Receipt{Status: 422, RequestID: "mes-req-2"}},
	}
	d := testDoc("urn:oid:1.2.250.1.999.8.1", []byte("content"))
	p := pairingFor("m", insA, "tok")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mes.NewClient(mes.Options{BaseURL: fakeMES(t, tt.a)})
			got, err := c.Deliver(context.Background(), d, bytes.NewReader(d.Content), p)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Deliver: %v", err)
				}
				if tt.receipt.RequestID == "" {
					tt.receipt.RequestID = got.RequestID
				}
				if got != tt.receipt {
					t.Errorf("Receipt = %+v, want %+v", got, tt.receipt)
				}
				return
			}
			var de *docbridge.Error
			if !errors.As(err, &de) || de.Reason != tt.reason {
				t.Fatalf("err = %v, want reason %q", err, tt.reason)
			}
			// The refusal's receipt carries what MES answered, for the
			// audit record: its status and a request id, no MES id.
			if got.Status != tt.a.status || got.RequestID == "" || got.MESID != "" || got.Duplicate {
				t.Errorf("Receipt with the error = %+v, want status %d and a request id only", got, tt.a.status)
			}
			if tt.receipt.RequestID != "" && got.RequestID != tt.receipt.RequestID {
				t.Errorf("Receipt.RequestID = %q, want MES's %q", got.RequestID, tt.receipt.RequestID)
			}
			if de.RetryAfter != tt.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", de.RetryAfter, tt.retryAfter)
			}
			if !strings.Contains(de.Msg, tt.mention) {
				t.Errorf("Msg %q does not mention %q", de.Msg, tt.mention)
			}
			for _, pd := range patientData {
				if strings.Contains(de.Error(), pd) {
					t.Errorf("error %q carries patient data %q", de.Error(), pd)
				}
			}
			for _, pd := range []string{"Dominique", "123456789012345"} {
				if strings.Contains(de.Error(), pd) {
					t.Errorf("error %q carries patient data %q", de.Error(), pd)
				}
			}
		})
	}
}

func TestDeliverTransportFailures(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	reset := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.(*net.TCPConn).SetLinger(0) // RST, not FIN
			conn.Close()
		}
	}))
	t.Cleanup(reset.Close)

	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	t.Cleanup(hang.Close)

	tests := []struct {
		name    string
		url     string
		timeout time.Duration
	}{
		{"closed listener", closedURL, time.Minute},
		{"connection reset", reset.URL, time.Minute},
		{"deadline", hang.URL, 200 * time.Millisecond},
	}
	d := testDoc("urn:oid:1.2.250.1.999.9.1", bytes.Repeat([]byte("x"), 100_000))
	p := pairingFor("m", insA, "tok")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			c := mes.NewClient(mes.Options{BaseURL: tt.url})
			_, err := c.Deliver(ctx, d, bytes.NewReader(d.Content), p)
			t.Log(err)
			if got := docbridge.ReasonOf(err); got != docbridge.MESUnavailable {
				t.Errorf("ReasonOf(%v) = %q, want mes-unavailable", err, got)
			}
		})
	}
}

func TestDeliverSendsHeaders(t *testing.T) {
	var got http.Header
	var method, path string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		got, method, path = r.Header.Clone(), r.Method, r.URL.RequestURI()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(ts.Close)
	c := mes.NewClient(mes.Options{BaseURL: ts.URL + "/api/v1/", UserAgent: "docbridge-test/1"})
	p := pairingFor("m", insA, "tok")

	d := testDoc("urn:oid:1.2.250.1.999.10.1", []byte("content"))
	if _, err := c.Deliver(context.Background(), d, bytes.NewReader(d.Content), p); err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"method", method, "POST"},
		{"path", path, "/api/v1/DocumentReference"},
		{"Authorization", got.Get("Authorization"), "Bearer tok"},
		{"Content-Type", got.Get("Content-Type"), "application/fhir+json"},
		{"Accept", got.Get("Accept"), "application/fhir+json"},
		{"User-Agent", got.Get("User-Agent"), "docbridge-test/1"},
	}
	if len(got.Get("X-Request-Id")) != 36 {
		t.Errorf("X-Request-Id = %q, want a UUID", got.Get("X-Request-Id"))
	}

	del := &docbridge.Document{UniqueID: "urn:oid:1.2.250.1.999.10.1", Action: docbridge.Delete}
	if _, err := c.Deliver(context.Background(), del, nil, p); err != nil {
		t.Fatal(err)
	}
	checks = append(checks,
		struct{ name, got, want string }{"delete method", method, "DELETE"},
		struct{ name, got, want string }{"delete path", path, "/api/v1/DocumentReference?identifier=urn%3Aietf%3Arfc%3A3986%7Curn%3Aoid%3A1.2.250.1.999.10.1"},
	)
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}
