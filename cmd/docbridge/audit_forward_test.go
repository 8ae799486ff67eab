package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
	"github.com/docbridge/docbridge/internal/store"
)

// TestAuditForwardingThroughTheStore wires forwarding as serve does, with
// the real store's outbox and an audit server that is down, then up: every
// record reaches it once, in chain order, and the outbox ends empty.
func TestAuditForwardingThroughTheStore(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	var mu sync.Mutex
	var got []int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		var ae struct {
			Extension []struct{ URL, ValueString string }
		}
		json.NewDecoder(r.Body).Decode(&ae)
		for _, e := range ae.Extension {
			if e.URL == audit.ExtSeq {
				n, _ := strconv.ParseInt(e.ValueString, 10, 64)
				mu.Lock()
				got = append(got, n)
				mu.Unlock()
			}
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg, err := parseConfig([]byte("data: " + t.TempDir() + "\nmes: {base_url: http://mes}\naudit: {instance: lab1, forward: {fhir: {url: '" + srv.URL + "/fhir'}}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, store.Options{Dir: cfg.Data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fws, err := openAuditForwarding(ctx, cfg, st, zerolog.Nop())
	if err != nil || len(fws) != 1 {
		t.Fatalf("openAuditForwarding = %d forwarders, %v; want 1", len(fws), err)
	}
	add := func(body string) {
		a, err := st.AcceptConverted(ctx, &docbridge.Envelope{Intake: "drop", Body: strings.NewReader(body)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.FailInput(ctx, a.ID, docbridge.Malformed, "not a document"); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 5; i++ {
		add("early " + strconv.Itoa(i))
	}
	done := make(chan error, 1)
	go func() { done <- fws[0].Run(ctx) }()
	for i := 0; i < 5; i++ {
		add("while down " + strconv.Itoa(i))
	}
	if n, _ := st.OutboxLen(ctx, "fhir"); n != 20 {
		t.Errorf("outbox holds %d records while the server is down, want 20", n)
	}
	down.Store(false)
	for i := 0; i < 5; i++ {
		add("after " + strconv.Itoa(i))
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if n, _ := st.OutboxLen(ctx, "fhir"); n == 0 {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	want := make([]int64, 30)
	for i := range want {
		want[i] = int64(i + 1)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, want) {
		t.Errorf("the audit server received %v, want 1..30 once each, in order", got)
	}
}
