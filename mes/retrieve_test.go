package mes_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/mes/messim"
)

func TestRetrieve(t *testing.T) {
	e := pdsmEnv(t, messim.Options{})
	content := bytes.Repeat([]byte("retrieved bytes "), 10_000)
	d := testDoc("urn:oid:1.2.250.1.999.50.1", content)
	r, err := e.deliver(t, d, e.pA)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{e.base + "/Binary/" + r.MESID, "Binary/" + r.MESID} {
		var b bytes.Buffer
		n, err := e.client.Retrieve(context.Background(), e.pA, ref, &b)
		if err != nil || n != int64(len(content)) || !bytes.Equal(b.Bytes(), content) {
			t.Errorf("Retrieve %s: %d bytes, %v; want the %d bytes sent", ref, n, err, len(content))
		}
	}

	other := e.sim.AddPatient("mes-patient-B", insB, insSystem)
	tests := []struct {
		name   string
		ref    string
		p      docbridge.Pairing
		reason docbridge.Reason
	}{
		{"another patient's token", "Binary/" + r.MESID, pairingFor("mes-patient-B", insB, other), docbridge.MESRejected},
		{"unknown", "Binary/dr-nothing", e.pA, docbridge.MESRejected},
		{"unknown token", "Binary/" + r.MESID, pairingFor("mes-patient-A", insA, "nope"), docbridge.PairingRevoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client.Retrieve(context.Background(), tt.p, tt.ref, io.Discard)
			if got := docbridge.ReasonOf(err); got != tt.reason {
				t.Errorf("ReasonOf(%v) = %q, want %q", err, got, tt.reason)
			}
		})
	}

	if _, err := e.client.Deliver(context.Background(), &docbridge.Document{UniqueID: d.UniqueID, Action: docbridge.Delete}, nil, e.pA); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Retrieve(context.Background(), e.pA, "Binary/"+r.MESID, io.Discard)
	if docbridge.ReasonOf(err) != docbridge.MESRejected || !strings.Contains(err.Error(), "HTTP 410") {
		t.Errorf("deleted: err = %v, want mes-rejected with HTTP 410", err)
	}
}

// TestRetrieveKeepsTheTokenAtMES: a URL, or a redirect, off the MES host
// is refused before the token leaves.
func TestRetrieveKeepsTheTokenAtMES(t *testing.T) {
	var leaked atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		io.WriteString(w, "elsewhere")
	}))
	t.Cleanup(elsewhere.Close)
	mesSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/Binary/moved":
			http.Redirect(w, r, "/api/Binary/here", http.StatusFound)
		case "/api/Binary/away":
			http.Redirect(w, r, elsewhere.URL+"/x", http.StatusTemporaryRedirect)
		case "/api/Binary/loop":
			http.Redirect(w, r, "/api/Binary/loop", http.StatusFound)
		case "/api/Binary/here":
			io.WriteString(w, "here")
		case "/api/Binary/short":
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, "only this")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(mesSrv.Close)
	c := mes.NewClient(mes.Options{BaseURL: mesSrv.URL + "/api"})
	p := pairingFor("m", insA, "tok")
	tests := []struct {
		ref    string
		want   string
		reason docbridge.Reason
	}{
		{"Binary/moved", "here", ""},
		{mesSrv.URL + "/api/Binary/here", "here", ""},
		{elsewhere.URL + "/Binary/x", "", docbridge.Internal},
		{"Binary/away", "", docbridge.Internal},
		{"Binary/loop", "", docbridge.Internal},
		{"Binary/short", "", docbridge.MESUnavailable},
		{"", "", docbridge.Internal},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		_, err := c.Retrieve(context.Background(), p, tt.ref, &b)
		if got := docbridge.ReasonOf(err); got != tt.reason || tt.reason == "" && b.String() != tt.want {
			t.Errorf("Retrieve %q: %q, %v; want %q, reason %q", tt.ref, b.String(), err, tt.want, tt.reason)
		}
	}
	if n := leaked.Load(); n != 0 {
		t.Errorf("the token reached another host %d times", n)
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRetrieveWriteError(t *testing.T) {
	c := mes.NewClient(mes.Options{BaseURL: fakeMES(t, answer{status: 200, body: "content"})})
	_, err := c.Retrieve(context.Background(), pairingFor("m", insA, "tok"), "Binary/1", failingWriter{})
	if docbridge.ReasonOf(err) != docbridge.Internal || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("err = %v, want internal wrapping the write error", err)
	}
}
