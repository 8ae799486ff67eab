package mllp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/hl7"
)

// bodySink keeps the bodies it accepts.
type bodySink struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (b *bodySink) Accept(_ context.Context, e *docbridge.Envelope) (docbridge.Accepted, error) {
	body, err := io.ReadAll(e.Body)
	if err != nil {
		return docbridge.Accepted{}, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bodies = append(b.bodies, body)
	return docbridge.Accepted{ID: int64(len(b.bodies)), State: docbridge.Converted}, nil
}

func (b *bodySink) got() [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([][]byte(nil), b.bodies...)
}

// waitUntil polls cond for up to 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// budgetsFull reports whether every byte of both budgets is back.
func budgetsFull(s *Server) bool {
	return s.mem.left.Load() == s.o.MemoryBudget && s.disk.left.Load() == s.o.SpoolBudget
}

// bigORU is an ORU whose OBX-5 makes it about n bytes.
func bigORU(id string, n int) string {
	return oru(id) + "OBX|2|ED|X||^TEXT^XML^Base64^" + strings.Repeat("QUJD", n/4) + "||||||F\r"
}

// TestSpooledMessagesAreWhole checks that messages over SpoolAbove, or over
// what the memory budget leaves, reach the Sink byte for byte through the
// spool, that the spool directory is left empty and that both budgets are
// given back.
func TestSpooledMessagesAreWhole(t *testing.T) {
	for _, tt := range []struct {
		name         string
		spoolAbove   int
		memoryBudget int64
	}{
		{"over SpoolAbove", 1 << 10, 0},
		{"memory budget spent", 0, 1},
		{"in memory", 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sink, dir := &bodySink{}, t.TempDir()
			s, _ := start(t, Options{Sink: sink, SpoolDir: dir, SpoolAbove: tt.spoolAbove, MemoryBudget: tt.memoryBudget})
			c := dial(t, s)
			msgs := []string{bigORU("BIG1", 300<<10), oru("SMALL1"), bigORU("BIG2", 70<<10)}
			for _, m := range msgs {
				if got := field(c.send(m), "MSA", 1, 0); got != "AA" {
					t.Fatalf("MSA-1 = %q, want AA", got)
				}
			}
			got := sink.got()
			if len(got) != len(msgs) {
				t.Fatalf("the sink got %d messages, want %d", len(got), len(msgs))
			}
			for i, m := range msgs {
				if !bytes.Equal(got[i], []byte(m)) {
					t.Errorf("message %d: the sink got %d bytes, not the %d sent", i+1, len(got[i]), len(m))
				}
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("the spool directory holds %d entries after the messages", len(ents))
			}
			if !budgetsFull(s) {
				t.Errorf("budgets not given back: memory %d of %d, spool %d of %d", s.mem.left.Load(), s.o.MemoryBudget, s.disk.left.Load(), s.o.SpoolBudget)
			}
		})
	}
}

// TestUnterminatedFramesAreBounded checks that frames held open hold no
// more memory than the budget and no more spool than theirs, and that
// everything is given back when their connections close.
func TestUnterminatedFramesAreBounded(t *testing.T) {
	s, _ := start(t, Options{Sink: &bodySink{}, SpoolDir: t.TempDir(), SpoolAbove: 64 << 10, MemoryBudget: 100 << 10})
	chunk := bytes.Repeat([]byte("x"), 200<<10)
	var cs []*client
	for range 4 {
		c := dial(t, s)
		c.nc.Write([]byte{hl7.StartBlock})
		c.nc.Write(chunk)
		cs = append(cs, c)
	}
	waitUntil(t, "the frames to be spooled", func() bool {
		return s.o.SpoolBudget-s.disk.left.Load() == 4*int64(len(chunk))
	})
	if used := s.o.MemoryBudget - s.mem.left.Load(); used != 0 {
		t.Errorf("memory held by frames over SpoolAbove = %d, want 0", used)
	}
	for _, c := range cs {
		c.nc.Close()
	}
	waitUntil(t, "the budgets to come back", func() bool { return budgetsFull(s) })
}

// TestSpoolBudgetSpent checks that a message beyond the spool budget is
// read to its end and refused with AR (internal), and that the connection
// stays in step for the next message.
func TestSpoolBudgetSpent(t *testing.T) {
	sink := &bodySink{}
	s, _ := start(t, Options{Sink: sink, SpoolDir: t.TempDir(), SpoolAbove: 1 << 10, SpoolBudget: 16 << 10})
	c := dial(t, s)
	ack := c.send(bigORU("HUGE1", 64<<10))
	if got, want := field(ack, "MSA", 1, 0)+" "+field(ack, "MSA", 2, 0), "AR HUGE1"; got != want {
		t.Errorf("MSA = %q, want %q", got, want)
	}
	if got := field(ack, "ERR", 8, 0); !strings.HasPrefix(got, "internal: ") {
		t.Errorf("ERR-8 = %q, want the internal reason", got)
	}
	if got := field(c.send(oru("NEXT1")), "MSA", 1, 0); got != "AA" {
		t.Errorf("next message: MSA-1 = %q, want AA", got)
	}
	if got := len(sink.got()); got != 1 {
		t.Errorf("the sink got %d messages, want 1", got)
	}
	if !budgetsFull(s) {
		t.Error("budgets not given back")
	}
}

// TestResynchronise checks that a start block inside an unterminated frame
// drops the broken part without an acknowledgement, and that the message
// after it is acknowledged AA and stored.
func TestResynchronise(t *testing.T) {
	sink := &bodySink{}
	s, _ := start(t, Options{Sink: sink})
	c := dial(t, s)
	broken := append([]byte{hl7.StartBlock}, oru("BROKEN1")[:40]...)
	c.nc.Write(broken)
	ack := c.send(oru("GOOD1"))
	if got, want := field(ack, "MSA", 1, 0)+" "+field(ack, "MSA", 2, 0), "AA GOOD1"; got != want {
		t.Errorf("MSA = %q, want %q", got, want)
	}
	if got := sink.got(); len(got) != 1 || string(got[0]) != oru("GOOD1") {
		t.Errorf("the sink got %q, want the good message alone", got)
	}
	// Nothing else is answered: the next ACK is the next message's.
	if got := field(c.send(oru("GOOD2")), "MSA", 2, 0); got != "GOOD2" {
		t.Errorf("MSA-2 = %q, want GOOD2", got)
	}
}

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestMaxConnections checks that connections beyond the cap are closed at
// once, that one log line says so for a burst, and that a place freed is
// taken again.
func TestMaxConnections(t *testing.T) {
	var logs lockedBuffer
	s, _ := start(t, Options{Sink: &bodySink{}, MaxConnections: 2, Log: zerolog.New(&logs)})
	a, b := dial(t, s), dial(t, s)
	for _, c := range []*client{a, b} { // both are served, so both are counted
		if got := field(c.send(oru("IN")), "MSA", 1, 0); got != "AA" {
			t.Fatalf("MSA-1 = %q, want AA", got)
		}
	}
	for range 3 {
		c := dial(t, s)
		c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		hl7.WriteFrame(c.nc, []byte(oru("OUT")))
		if _, err := c.r.ReadMessage(); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("a connection beyond the cap: %v, want it closed", err)
		}
	}
	if got := strings.Count(logs.String(), "connection refused"); got != 1 {
		t.Errorf("%d log lines about refused connections, want 1 for the burst", got)
	}
	a.nc.Close()
	waitUntil(t, "the place to be freed", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.conns) == 1
	})
	if got := field(dial(t, s).send(oru("AGAIN")), "MSA", 1, 0); got != "AA" {
		t.Errorf("after a place was freed: MSA-1 = %q, want AA", got)
	}
}

// TestGiveBack checks that GiveBack is called once per GiveBackEvery bytes
// of message memory let go of, and when the last connection closes.
func TestGiveBack(t *testing.T) {
	var calls atomic.Int32
	s, _ := start(t, Options{Sink: &bodySink{}, GiveBack: func() { calls.Add(1) }})
	c := dial(t, s)
	msg := bigORU("GIVE", 900<<10) // held in a buffer of about SpoolAbove (1 MiB)
	for range 14 {
		c.send(msg)
	}
	if got := calls.Load(); got != 0 {
		t.Fatalf("GiveBack called %d times after 14 MiB let go of", got)
	}
	for range 6 {
		c.send(msg)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("GiveBack called %d times after 20 MiB let go of, want 1", got)
	}
	c.nc.Close() // the last connection
	waitUntil(t, "GiveBack when the listener is quiet", func() bool { return calls.Load() == 2 })
}

// TestLargeAccepts checks that spooled messages are stored LargeAccepts at
// a time, and that one whose turn does not come within AcceptTimeout is
// refused with AR while small messages go on.
func TestLargeAccepts(t *testing.T) {
	entered, unblock := make(chan struct{}, 4), make(chan struct{})
	var inside, most atomic.Int32
	sink := &fakeSink{accept: func(_ context.Context, e *docbridge.Envelope, body []byte) (docbridge.Accepted, error) {
		if len(body) > 1<<10 {
			most.Store(max(most.Load(), inside.Add(1)))
			defer inside.Add(-1)
			entered <- struct{}{}
			<-unblock
		}
		return docbridge.Accepted{ID: 1, State: docbridge.Converted}, nil
	}}
	s, _ := start(t, Options{Sink: sink, SpoolDir: t.TempDir(), SpoolAbove: 1 << 10, LargeAccepts: 1, AcceptTimeout: 300 * time.Millisecond})
	first := dial(t, s)
	hl7.WriteFrame(first.nc, []byte(bigORU("LARGE1", 8<<10)))
	<-entered
	ack := dial(t, s).send(bigORU("LARGE2", 8<<10))
	if got, want := field(ack, "MSA", 1, 0)+" "+field(ack, "MSA", 2, 0), "AR LARGE2"; got != want {
		t.Errorf("a second large message while one is stored: MSA = %q, want %q", got, want)
	}
	if got := field(dial(t, s).send(oru("SMALL")), "MSA", 1, 0); got != "AA" {
		t.Errorf("a small message meanwhile: MSA-1 = %q, want AA", got)
	}
	close(unblock)
	if got := field(first.read(), "MSA", 1, 0); got != "AA" {
		t.Errorf("the first large message: MSA-1 = %q, want AA", got)
	}
	if got := field(first.send(bigORU("LARGE3", 8<<10)), "MSA", 1, 0); got != "AA" {
		t.Errorf("a large message after the turn ended: MSA-1 = %q, want AA", got)
	}
	if got := most.Load(); got != 1 {
		t.Errorf("%d large messages stored at once, want 1", got)
	}
}
