package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
)

// waitDone runs a.wait(since) and returns how long it took, failing when
// it is still waiting after 10 s.
func waitDone(t *testing.T, a *answering, since time.Time, during func()) time.Duration {
	t.Helper()
	done := make(chan struct{})
	start := time.Now()
	go func() {
		a.wait(context.Background(), since)
		close(done)
	}()
	if during != nil {
		during()
	}
	select {
	case <-done:
		return time.Since(start)
	case <-time.After(10 * time.Second):
		t.Fatal("wait still waiting after 10 s")
		return 0
	}
}

func TestAnsweringWait(t *testing.T) {
	t.Run("no sender waits: at once", func(t *testing.T) {
		a := newAnswering()
		end := a.begin()
		end()
		waitDone(t, a, time.Now(), nil)
	})
	t.Run("until the last sender is answered", func(t *testing.T) {
		a := newAnswering()
		end1, end2 := a.begin(), a.begin()
		waitDone(t, a, time.Now(), func() {
			end1()
			time.Sleep(20 * time.Millisecond)
			end2()
		})
	})
	t.Run("a stage that ran long ago does not wait", func(t *testing.T) {
		a := newAnswering()
		a.begin() // never answered
		waitDone(t, a, time.Now().Add(-time.Hour), nil)
	})
	t.Run("at most maxYield after the stage's last step", func(t *testing.T) {
		a := newAnswering()
		a.begin() // never answered
		if d := waitDone(t, a, time.Now(), nil); d < maxYield-10*time.Millisecond {
			t.Errorf("wait returned after %v with a sender still waiting, want about %v", d, maxYield)
		}
	})
}

// TestDeliveryGoesOnWhileSendersWait: a sender that is never answered
// (an MLLP flood that never pauses) delays the match and deliver stages by
// at most maxYield per step; it never stops them.
func TestDeliveryGoesOnWhileSendersWait(t *testing.T) {
	f := newFixture(t, nil)
	f.p.o.Poll = 10 * time.Millisecond
	f.pair(t)
	defer f.p.senders.begin()() // a sender waiting all along
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- f.p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-ran; err != nil {
			t.Error(err)
		}
	}()
	for _, id := range []string{"urn:oid:9.1", "urn:oid:9.2", "urn:oid:9.3"} {
		f.accept(t, id)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, id := range []string{"urn:oid:9.1", "urn:oid:9.2", "urn:oid:9.3"} {
		for f.doc(t, id).State != docbridge.Delivered {
			if time.Now().After(deadline) {
				t.Fatalf("document %s is %s after 20 s while a sender waits: the stages must go on", id, f.doc(t, id).State)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
