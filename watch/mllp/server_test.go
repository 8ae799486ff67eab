package mllp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/hl7"
)

// fakeSink is a Sink with function fields; by default it stores each
// distinct body once, as the store does.
type fakeSink struct {
	mu     sync.Mutex
	stored map[[32]byte]int64
	envs   []docbridge.Envelope
	accept func(ctx context.Context, e *docbridge.Envelope, body []byte) (docbridge.Accepted, error)
}

func (f *fakeSink) Accept(ctx context.Context, e *docbridge.Envelope) (docbridge.Accepted, error) {
	body, err := io.ReadAll(e.Body)
	if err != nil {
		return docbridge.Accepted{}, err
	}
	if f.accept != nil {
		return f.accept(ctx, e, body)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.envs = append(f.envs, *e)
	if f.stored == nil {
		f.stored = map[[32]byte]int64{}
	}
	sum := sha256.Sum256(body)
	if id, ok := f.stored[sum]; ok {
		return docbridge.Accepted{ID: id, Duplicate: true, State: docbridge.Converted}, nil
	}
	f.stored[sum] = int64(len(f.stored) + 1)
	return docbridge.Accepted{ID: f.stored[sum], State: docbridge.Converted}, nil
}

func (f *fakeSink) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.stored)
}

// start runs a server on a loopback port and returns it with its stop
// function, which waits for Run to return and checks it returned nil.
func start(t *testing.T, o Options) (*Server, func()) {
	t.Helper()
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return s, stop
}

// client is one sender connection.
type client struct {
	t  *testing.T
	nc net.Conn
	r  *hl7.Reader
}

func dial(t *testing.T, s *Server) *client {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &client{t: t, nc: nc, r: hl7.NewReader(nc, 0)}
}

// send sends one message and returns the parsed acknowledgement.
func (c *client) send(msg string) *hl7.Message {
	c.t.Helper()
	if err := hl7.WriteFrame(c.nc, []byte(msg)); err != nil {
		c.t.Fatal(err)
	}
	return c.read()
}

func (c *client) read() *hl7.Message {
	c.t.Helper()
	raw, err := c.r.ReadMessage()
	if err != nil {
		c.t.Fatalf("read the ACK: %v", err)
	}
	m, err := hl7.Parse(raw)
	if err != nil {
		c.t.Fatalf("the ACK does not parse: %v", err)
	}
	return m
}

func oru(id string) string {
	return "MSH|^~\\&|LIS|LAB|DB|MES|20250114093500||ORU^R01^ORU_R01|" + id + "|P|2.5|||||FRA|UNICODE UTF-8\rPID|1\rOBX|1|ED|X||^TEXT^XML^Base64^AAAA||||||F\r"
}

// field reads SEG-n.c of an ACK.
func field(m *hl7.Message, seg string, n, c int) string {
	s, ok := m.Segment(seg)
	if !ok {
		return "<no " + seg + ">"
	}
	if c == 0 {
		return s.Field(n).String()
	}
	return s.Field(n).Comp(c).String()
}

func TestAcknowledgements(t *testing.T) {
	sink := &fakeSink{}
	var mode string
	sink.accept = func(ctx context.Context, e *docbridge.Envelope, body []byte) (docbridge.Accepted, error) {
		switch mode {
		case "refused":
			return docbridge.Accepted{ID: 7, State: docbridge.Failed, Reason: docbridge.Malformed,
				Message: "OBX[2]-5.5: base64 decodes to 38 bytes of text, not a CDA document"}, nil
		case "unsupported":
			return docbridge.Accepted{ID: 8, State: docbridge.Failed, Reason: docbridge.UnsupportedFormat,
				Message: "MSH-9: ADT^A01 is a patient administration message"}, nil
		case "resend refused":
			return docbridge.Accepted{ID: 7, Duplicate: true, State: docbridge.Failed, Reason: docbridge.INSInvalid,
				Message: "PID-3: the INS check key is wrong"}, nil
		case "review":
			return docbridge.Accepted{ID: 9, State: docbridge.Converted}, nil
		case "store down":
			return docbridge.Accepted{}, docbridge.Errorf(docbridge.Internal, "database is locked")
		case "too large":
			return docbridge.Accepted{}, docbridge.Errorf(docbridge.TooLarge, "the input is 9 bytes, over the limit of 8 bytes")
		}
		return docbridge.Accepted{ID: 1, State: docbridge.Converted}, nil
	}
	s, _ := start(t, Options{Sink: sink})
	c := dial(t, s)
	tests := []struct {
		mode, want, err2, err3, err8 string
	}{
		{"ok", "AA", "", "", ""},
		{"review", "AA", "", "", ""},
		{"refused", "AE", "OBX^2^5^^5", "102", "malformed: OBX[2]-5.5: base64 decodes to 38 bytes of text, not a CDA document"},
		{"resend refused", "AE", "PID^1^3", "102", "ins-invalid: PID-3: the INS check key is wrong"},
		{"unsupported", "AE", "MSH^1^9", "200", "unsupported-format: MSH-9: ADT^A01 is a patient administration message"},
		{"store down", "AR", "", "207", "docbridge cannot store the message now; send it again later"},
		{"too large", "AE", "", "104", "too-large: the input is 9 bytes, over the limit of 8 bytes"},
	}
	for i, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			mode = tt.mode
			id := "MSG" + string(rune('A'+i))
			ack := c.send(oru(id))
			if got := field(ack, "MSA", 1, 0); got != tt.want {
				t.Errorf("MSA-1 = %q, want %q", got, tt.want)
			}
			if got := field(ack, "MSA", 2, 0); got != id {
				t.Errorf("MSA-2 = %q, want %q", got, id)
			}
			if got, want := field(ack, "MSH", 9, 0), "ACK^R01^ACK"; got != want {
				t.Errorf("MSH-9 = %q, want %q", got, want)
			}
			if got, want := field(ack, "MSH", 3, 0)+"/"+field(ack, "MSH", 5, 0), "DB/LIS"; got != want {
				t.Errorf("MSH-3/MSH-5 = %q, want %q (swapped)", got, want)
			}
			errSeg, hasErr := ack.Segment("ERR")
			if hasErr != (tt.err3 != "") {
				t.Fatalf("ERR present = %v, want %v", hasErr, tt.err3 != "")
			}
			if !hasErr {
				return
			}
			if got := errSeg.Field(2).String(); got != tt.err2 {
				t.Errorf("ERR-2 = %q, want %q", got, tt.err2)
			}
			if got := errSeg.Field(3).Comp(1).String(); got != tt.err3 {
				t.Errorf("ERR-3 = %q, want %q", got, tt.err3)
			}
			if got := errSeg.Field(3).Comp(3).String(); got != "HL70357" {
				t.Errorf("ERR-3.3 = %q", got)
			}
			if got := errSeg.Field(4).String(); got != "E" {
				t.Errorf("ERR-4 = %q", got)
			}
			if got := errSeg.Field(8).String(); got != tt.err8 {
				t.Errorf("ERR-8 = %q, want %q", got, tt.err8)
			}
		})
	}
}

// TestResendIsStoredOnce sends the same message twice: AA both times, one
// input stored, and the envelope names MSH-10 and the peer.
func TestResendIsStoredOnce(t *testing.T) {
	sink := &fakeSink{}
	s, _ := start(t, Options{Sink: sink, Name: "lab"})
	c := dial(t, s)
	for i := range 2 {
		if got := field(c.send(oru("R1")), "MSA", 1, 0); got != "AA" {
			t.Fatalf("send %d: MSA-1 = %q, want AA", i+1, got)
		}
	}
	if got := sink.count(); got != 1 {
		t.Errorf("stored %d inputs, want 1", got)
	}
	e := sink.envs[0]
	if e.MessageID != "R1" || e.Intake != "lab" || e.Source != c.nc.LocalAddr().String() {
		t.Errorf("envelope = %+v", e)
	}
}

func TestUnreadableAndOversizedMessages(t *testing.T) {
	sink := &fakeSink{}
	s, _ := start(t, Options{Sink: sink, MaxMessageBytes: 200})
	c := dial(t, s)
	ack := c.send("PID|1|no header\r")
	if got := field(ack, "MSA", 1, 0) + " " + field(ack, "MSA", 2, 0); got != "AE " {
		t.Errorf("no MSH: MSA = %q, want AE and no MSA-2", got)
	}
	big := oru("BIG") + "NTE|1||" + strings.Repeat("x", 300) + "\r"
	ack = c.send(big)
	if got := field(ack, "MSA", 1, 0) + " " + field(ack, "MSA", 2, 0) + " " + field(ack, "ERR", 3, 1); got != "AE BIG 104" {
		t.Errorf("too large: %q, want AE BIG 104", got)
	}
	// An ACK is not acknowledged: the next answer is the next message's.
	if err := hl7.WriteFrame(c.nc, []byte("MSH|^~\\&|X|Y|DB|Z|||ACK^R01^ACK|A1|P|2.5\rMSA|AA|1\r")); err != nil {
		t.Fatal(err)
	}
	if got := field(c.send(oru("AFTER")), "MSA", 2, 0); got != "AFTER" {
		t.Errorf("MSA-2 = %q, want AFTER", got)
	}
	if got := sink.count(); got != 1 {
		t.Errorf("stored %d inputs, want 1 (neither the unreadable, the oversized nor the ACK)", got)
	}
}

func TestConcurrentConnections(t *testing.T) {
	sink := &fakeSink{}
	s, _ := start(t, Options{Sink: sink})
	var wg sync.WaitGroup
	for i := range 8 {
		c := dial(t, s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				id := string(rune('a'+i)) + string(rune('0'+j))
				if err := hl7.WriteFrame(c.nc, []byte(oru(id))); err != nil {
					t.Error(err)
					return
				}
				raw, err := c.r.ReadMessage()
				if err != nil || !strings.Contains(string(raw), "MSA|AA|"+id+"\r") {
					t.Errorf("ACK for %s = %q, %v", id, raw, err)
				}
			}
		}()
	}
	wg.Wait()
	if got := sink.count(); got != 40 {
		t.Errorf("stored %d, want 40", got)
	}
}

// TestShutdown stops the server while a message is being stored: that
// message still gets its AA, a message arriving afterwards gets AR, and Run
// returns nil.
func TestShutdown(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	sink := &fakeSink{}
	sink.accept = func(ctx context.Context, e *docbridge.Envelope, body []byte) (docbridge.Accepted, error) {
		if e.MessageID == "SLOW" {
			close(entered)
			<-release
			if ctx.Err() != nil {
				return docbridge.Accepted{}, ctx.Err()
			}
		}
		return docbridge.Accepted{ID: 1, State: docbridge.Converted}, nil
	}
	s, stop := start(t, Options{Sink: sink, Drain: 5 * time.Second})
	c := dial(t, s)
	if err := hl7.WriteFrame(c.nc, []byte(oru("SLOW"))); err != nil {
		t.Fatal(err)
	}
	<-entered
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	for !s.closing.Load() {
		time.Sleep(time.Millisecond)
	}
	close(release)
	if got := field(c.read(), "MSA", 1, 0); got != "AA" {
		t.Errorf("in-flight message: MSA-1 = %q, want AA", got)
	}
	ack := c.send(oru("LATE"))
	if got := field(ack, "MSA", 1, 0) + " " + field(ack, "MSA", 2, 0); got != "AR LATE" {
		t.Errorf("message during shutdown: %q, want AR LATE", got)
	}
	c.nc.Close()
	<-stopped
	if _, err := net.Dial("tcp", s.Addr().String()); err == nil {
		t.Error("the listener still accepts connections")
	}
}

func TestIdleTimeoutClosesTheConnection(t *testing.T) {
	s, _ := start(t, Options{Sink: &fakeSink{}, IdleTimeout: 50 * time.Millisecond})
	c := dial(t, s)
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.r.ReadMessage(); !errors.Is(err, io.EOF) {
		t.Errorf("read on an idle connection = %v, want EOF (closed by the server)", err)
	}
}

func TestFramingErrorClosesTheConnection(t *testing.T) {
	sink := &fakeSink{}
	s, _ := start(t, Options{Sink: sink})
	c := dial(t, s)
	c.nc.Write([]byte("MSH|not framed\r"))
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.r.ReadMessage(); !errors.Is(err, io.EOF) {
		t.Errorf("read after garbage = %v, want EOF", err)
	}
	if sink.count() != 0 {
		t.Error("garbage was stored")
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(Options{Addr: "127.0.0.1:0"}); err == nil {
		t.Error("New without Sink succeeded")
	}
	if _, err := New(Options{Sink: &fakeSink{}}); err == nil {
		t.Error("New without address succeeded")
	}
	if _, err := New(Options{Sink: &fakeSink{}, Addr: "256.0.0.1:1"}); err == nil {
		t.Error("New on a bad address succeeded")
	}
}

func TestErrorCodes(t *testing.T) {
	for _, r := range docbridge.Reasons() {
		if errorCode(r).Text() == "" {
			t.Errorf("reason %s maps to %d, not in table 0357", r, errorCode(r))
		}
	}
}

// TestJournaledMessage: the listener asks that a message may be answered
// from the intake journal (Envelope.Journal, with Waiting), and logs the
// journal entry of an AA given from it, not an input id it does not have.
func TestJournaledMessage(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	sink := &fakeSink{}
	sink.accept = func(ctx context.Context, e *docbridge.Envelope, body []byte) (docbridge.Accepted, error) {
		if !e.Journal || !e.Waiting {
			t.Errorf("envelope Journal %v, Waiting %v; want both", e.Journal, e.Waiting)
		}
		return docbridge.Accepted{Journal: 42, State: docbridge.Converted}, nil
	}
	s, stop := start(t, Options{Name: "lis", Sink: sink, Log: zerolog.New(lockedWriter{&mu, &logs})})
	if got := field(dial(t, s).send(oru("J-1")), "MSA", 1, 0); got != "AA" {
		t.Fatalf("MSA-1 = %q, want AA", got)
	}
	stop()
	mu.Lock()
	defer mu.Unlock()
	line := ""
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, "message accepted") {
			line = l
		}
	}
	if !strings.Contains(line, `"journal":42`) || strings.Contains(line, `"input"`) {
		t.Errorf("log line %q; want the journal entry 42 and no input id", line)
	}
}

// lockedWriter serialises writes to w (the listener logs from several
// goroutines).
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
