package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docbridge/docbridge/hl7"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mes/messim"
)

// TestEndToEndMLLPAckIsDurable: four MLLP connections send messages
// at once, each waiting for its ACK before the next, as an LIS does; the
// daemon is killed with SIGKILL while they send. Every message that got
// an AA survives the kill, in the intake journal or already recorded: once
// the daemon has started again, each is an input, under the sender's
// MSH-10, with exactly the bytes sent — and `audit verify` finds the
// chain intact. The concurrent accepts share group commits; an ACK leaves
// only once the commit holding its message is done.
func TestEndToEndMLLPAckIsDurable(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a daemon")
	}
	addr := freePort(t)
	e := newE2EServer(t, messim.Options{}, nil, fmt.Sprintf("mllp:\n  - {name: lis, addr: %q, max_message_bytes: 2000000, idle_timeout: 1m}\n", addr))
	cmd := e.start()
	e.waitListening(addr)

	const conns = 4
	var mu sync.Mutex
	acked := map[string][]byte{} // control id → the message that got AA
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range conns {
		wg.Go(func() {
			nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			defer nc.Close()
			r := hl7.NewReader(nc, 0)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("DUR-%d-%04d", c, i)
				msg := oruAround(t, id, fmt.Sprintf("1.2.250.1.999.42.1.%d%04d", 7+c, i))
				nc.SetDeadline(time.Now().Add(30 * time.Second))
				if err := hl7.WriteFrame(nc, msg); err != nil {
					return // the daemon is gone
				}
				raw, err := r.ReadMessage()
				if err != nil {
					return // killed before it answered: nothing was promised
				}
				ack, err := hl7.Parse(raw)
				if err != nil {
					t.Errorf("the ACK of %s does not parse: %v", id, err)
					return
				}
				if got := msa(ack); got != "AA "+id {
					t.Errorf("MSA = %q, want AA %s", got, id)
					return
				}
				mu.Lock()
				acked[id] = msg
				mu.Unlock()
			}
		})
	}
	e.waitFor("40 acknowledged messages", time.Minute, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 40
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	cmd.Wait()

	ctx := context.Background()
	data := filepath.Join(e.dir, "data")
	st, err := store.Open(ctx, store.Options{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	journaled, err := st.JournalBacklog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	t.Logf("%d messages acknowledged before SIGKILL, %d of them (or of the messages not yet answered) in the intake journal", len(acked), journaled)

	// The next start records the journal's entries as inputs.
	cmd = e.start()
	e.waitFor("the intake journal recorded", time.Minute, func() bool {
		st, err := e.openStore()
		if err != nil {
			return false
		}
		defer st.Close()
		n, err := st.JournalBacklog(ctx)
		return err == nil && n == 0
	})
	stopDaemon(t, cmd)
	st, err = store.Open(ctx, store.Options{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	for id, msg := range acked {
		sum := sha256.Sum256(msg)
		sha := hex.EncodeToString(sum[:])
		in, err := st.InputBySHA256(ctx, sha)
		if err != nil {
			t.Errorf("message %s got AA but its input is not stored: %v", id, err)
			continue
		}
		if in.MessageID != id || in.Intake != "lis" {
			t.Errorf("message %s: stored as message %q of intake %q", id, in.MessageID, in.Intake)
		}
		if b, err := st.ReadContent(sha); err != nil || !bytes.Equal(b, msg) {
			t.Errorf("message %s: stored content is %d bytes (%v), want the %d bytes sent", id, len(b), err, len(msg))
		}
	}
	st.Close()

	out, err := runCmd("audit", "verify", "--data", data)
	if err != nil {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`^\d+ records, chain intact`).MatchString(out) {
		t.Errorf("audit verify said %q", out)
	}
}
