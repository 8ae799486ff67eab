package audit

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// memOutbox is an Outbox over a slice.
type memOutbox struct {
	mu      sync.Mutex
	pending []Record
}

func (m *memOutbox) add(rs ...Record) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending = append(m.pending, rs...)
}

func (m *memOutbox) Pending(_ context.Context, _ string, limit int) ([]Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := min(limit, len(m.pending))
	return slices.Clone(m.pending[:n]), nil
}

func (m *memOutbox) MarkSent(_ context.Context, _ string, seq int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending = slices.DeleteFunc(m.pending, func(r Record) bool { return r.Seq == seq })
	return nil
}

func (m *memOutbox) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.pending)
}

// received collects sequence numbers in arrival order.
type received struct {
	mu   sync.Mutex
	seqs []int64
}

func (r *received) add(s int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seqs = append(r.seqs, s)
}

func (r *received) get() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seqs)
}

// waitUntil polls cond; the bound only stops a hung test, it asserts nothing about time.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// runForwarder runs f until the test ends and checks it stops cleanly.
func runForwarder(t *testing.T, f *Forwarder) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// checkOnceInOrder checks that got is 1..n.
func checkOnceInOrder(t *testing.T, got []int64, n int) {
	t.Helper()
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i + 1)
	}
	if !slices.Equal(got, want) {
		t.Errorf("received %v, want each of 1..%d once, in order", got, n)
	}
}

func TestForwardFHIRDownThenUp(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	var refused atomic.Int32
	var got received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/fhir/AuditEvent" || r.Header.Get("Content-Type") != "application/fhir+json" {
			http.Error(w, "wrong request", http.StatusBadRequest)
			return
		}
		if down.Load() {
			refused.Add(1)
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		var ae struct {
			ResourceType string
			Extension    []struct{ URL, ValueString string }
		}
		if err := json.NewDecoder(r.Body).Decode(&ae); err != nil || ae.ResourceType != "AuditEvent" {
			http.Error(w, "not an AuditEvent", http.StatusBadRequest)
			return
		}
		for _, e := range ae.Extension {
			if e.URL == ExtSeq {
				s, _ := strconv.ParseInt(e.ValueString, 10, 64)
				got.add(s)
			}
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()

	rs := chain(30)
	ob := &memOutbox{}
	ob.add(rs[:20]...)
	runForwarder(t, NewForwarder(ForwarderOptions{
		Target: "fhir", Outbox: ob, Batch: 7,
		Sender: &FHIRPost{Base: srv.URL + "/fhir/", Mapping: FHIROptions{Instance: "lab1"}},
		Poll:   5 * time.Millisecond, RetryBase: time.Millisecond, RetryMax: 10 * time.Millisecond,
	}))
	waitUntil(t, "retries while the server is down", func() bool { return refused.Load() >= 3 })
	if got, want := ob.len(), 20; got != want {
		t.Errorf("outbox holds %d records while the server is down, want %d", got, want)
	}
	ob.add(rs[20:]...)
	down.Store(false)
	waitUntil(t, "the outbox to drain", func() bool { return ob.len() == 0 })
	checkOnceInOrder(t, got.get(), 30)
}

// testPKI is a CA with a server certificate for 127.0.0.1 and a client
// certificate.
type testPKI struct {
	pool           *x509.CertPool
	server, client tls.Certificate
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	now := time.Now()
	caKey := key()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test audit CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(serial int64, usage x509.ExtKeyUsage, ips []net.IP) tls.Certificate {
		k := key()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "leaf"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{usage},
			KeyUsage: x509.KeyUsageDigitalSignature, IPAddresses: ips}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
	}
	p := testPKI{pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.server = leaf(2, x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)})
	p.client = leaf(3, x509.ExtKeyUsageClientAuth, nil)
	return p
}

var sdSeq = regexp.MustCompile(`^<(\d+)>1 \S+ \S+ docbridge - (\S+) \[docbridge@32473 seq="(\d+)" hash="([0-9a-f]{64})"`)

// serveSyslog accepts RFC 5425 connections (client certificate required)
// and reads octet-counted RFC 5424 frames until the listener is closed.
func serveSyslog(t *testing.T, ln net.Listener, got *received) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			br := bufio.NewReader(c)
			for {
				l, err := br.ReadString(' ')
				if err != nil {
					return
				}
				n, err := strconv.Atoi(strings.TrimSuffix(l, " "))
				if err != nil || n <= 0 || n > 1<<20 {
					t.Errorf("bad frame length %q", l)
					return
				}
				msg := make([]byte, n)
				if _, err := io.ReadFull(br, msg); err != nil {
					t.Errorf("short frame: %v", err)
					return
				}
				m := sdSeq.FindStringSubmatch(string(msg))
				if m == nil || !strings.Contains(string(msg), "] \uFEFF{") {
					t.Errorf("not a docbridge RFC 5424 message: %q", msg)
					return
				}
				s, _ := strconv.ParseInt(m[3], 10, 64)
				got.add(s)
			}
		}()
	}
}

func TestForwardSyslogTLS(t *testing.T) {
	pki := newTestPKI(t)
	// Reserve an address and leave it closed: the receiver is down.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	rs := chain(25)
	ob := &memOutbox{}
	ob.add(rs[:10]...)
	sender := &countingSender{Sender: NewSyslog(SyslogOptions{Addr: addr, Hostname: "lab 1",
		TLS: &tls.Config{RootCAs: pki.pool, Certificates: []tls.Certificate{pki.client}}})}
	runForwarder(t, NewForwarder(ForwarderOptions{Target: "syslog", Outbox: ob, Sender: sender,
		Poll: 5 * time.Millisecond, RetryBase: time.Millisecond, RetryMax: 10 * time.Millisecond}))
	waitUntil(t, "dial failures while the receiver is down", func() bool { return sender.failures.Load() >= 3 })
	if got, want := ob.len(), 10; got != want {
		t.Errorf("outbox holds %d records while the receiver is down, want %d", got, want)
	}

	ln, err := tls.Listen("tcp", addr, &tls.Config{Certificates: []tls.Certificate{pki.server},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pki.pool})
	if err != nil {
		t.Skipf("cannot listen again on %s: %v", addr, err)
	}
	var got received
	go serveSyslog(t, ln, &got)
	defer ln.Close()
	ob.add(rs[10:]...)
	waitUntil(t, "25 records at the receiver", func() bool { return len(got.get()) >= 25 })
	checkOnceInOrder(t, got.get(), 25)
	if got, want := ob.len(), 0; got != want {
		t.Errorf("outbox holds %d records, want %d", got, want)
	}
}

// countingSender counts failed sends.
type countingSender struct {
	Sender
	failures atomic.Int32
}

func (c *countingSender) Send(ctx context.Context, r *Record) error {
	err := c.Sender.Send(ctx, r)
	if err != nil {
		c.failures.Add(1)
	}
	return err
}

func (c *countingSender) Close() error {
	if cl, ok := c.Sender.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

func TestSyslogMessage(t *testing.T) {
	r := chain(4)[3]
	r.Actor = `user:a"b]c\d`
	Seal(&r, r.Seq-1, r.PrevHash)
	got, err := SyslogMessage(&r, "lab server")
	if err != nil {
		t.Fatal(err)
	}
	wantPrefix := `<110>1 2026-11-25T09:30:03.123456Z lab_server docbridge - mes.exchange [docbridge@32473 seq="4" hash="` + r.Hash + `" prev="` + r.PrevHash + `" doc="2" input="2" actor="user:a\"b\]c\\d"] ` + "\uFEFF{"
	if !strings.HasPrefix(got, wantPrefix) {
		t.Errorf("SyslogMessage =\n%s\nwant prefix\n%s", got, wantPrefix)
	}
	var back Record
	if err := json.Unmarshal([]byte(got[strings.Index(got, "\uFEFF")+3:]), &back); err != nil || HashOf(&back) != r.Hash {
		t.Errorf("the message's JSON does not carry the record (err %v)", err)
	}
}

func TestForwarderDelay(t *testing.T) {
	f := NewForwarder(ForwarderOptions{RetryBase: time.Second, RetryMax: 10 * time.Second})
	for _, tt := range []struct {
		n    int
		want time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {4, 8 * time.Second}, {5, 10 * time.Second}, {50, 10 * time.Second}} {
		if got := f.delay(tt.n); got != tt.want {
			t.Errorf("delay(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
	if err := NewForwarder(ForwarderOptions{}).Run(context.Background()); err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("Run without options = %v, want an error", err)
	}
}
