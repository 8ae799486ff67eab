package messim_test

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/docbridge/docbridge/mes/messim"
)

// TestLatency: every request waits Latency ± Jitter before it is handled,
// and concurrent requests wait together (MaxInFlight counts them).
func TestLatency(t *testing.T) {
	const latency, jitter, n = 80 * time.Millisecond, 20 * time.Millisecond, 8
	s, ts := messim.NewTestServer(t, messim.Options{Latency: latency, Jitter: jitter})
	tok := s.AddPatient("P1", insA, "1.2.250.1.213.1.4.10")
	body := mustJSON(t, validDoc(uid, content))
	post := func(ctx context.Context, body []byte) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/DocumentReference", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/fhir+json")
		return ts.Client().Do(req)
	}
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			resp, err := post(context.Background(), body)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if took := time.Since(start); took < latency-jitter {
				t.Errorf("answered in %v, want at least %v", took, latency-jitter)
			}
		}()
	}
	wg.Wait()
	if got := s.MaxInFlight(); got < 2 || got > n {
		t.Errorf("MaxInFlight = %d, want 2 … %d", got, n)
	}
	if got := s.Count(); got != 1 {
		t.Errorf("simulator created %d documents, want 1 (the rest are duplicates)", got)
	}
}
