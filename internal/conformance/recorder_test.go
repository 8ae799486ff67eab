package conformance

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRecorder: a request is labelled with the running case and recorded
// for it with its answer; the client gets the answer unchanged, a body
// cut short included; nothing is recorded outside a case.
func TestRecorder(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cut" {
			w.Header().Set("Content-Length", "100")
			w.Write([]byte("only part"))
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Case-Seen", r.Header.Get(CaseHeader))
		w.Write([]byte("echo:" + string(body)))
	}))
	defer ts.Close()
	rec := NewRecorder(nil)
	hc := &http.Client{Transport: rec}

	rec.begin("documents.publish")
	resp, err := hc.Post(ts.URL+"/x", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "echo:hello" || resp.Header.Get("X-Case-Seen") != "documents.publish" {
		t.Errorf("answer %q, case seen %q", b, resp.Header.Get("X-Case-Seen"))
	}
	resp, err = hc.Get(ts.URL + "/cut")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Error("a body cut short reads as complete")
	}
	recs := rec.end()
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	body, size := recs[0].reqBody.bytes()
	if string(body) != "hello" || size != 5 || recs[0].status != 200 || string(recs[0].respBody) != "echo:hello" || recs[0].method != "POST" {
		t.Errorf("record %+v, body %q", recs[0], body)
	}
	if recs[1].err == "" {
		t.Error("the cut answer's record has no error")
	}
	if _, err := hc.Get(ts.URL + "/x"); err != nil {
		t.Fatal(err)
	}
	if got := rec.end(); len(got) != 0 {
		t.Errorf("%d records outside a case", len(got))
	}
}
