package admin

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/metrics"
	"github.com/docbridge/docbridge/internal/pipeline"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics status %d", rec.Code)
	}
	return rec.Body.String()
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	f.addDoc("urn:oid:1.2.7.1", camille, docbridge.Review, docbridge.IdentityMismatch)
	f.addDoc("urn:oid:1.2.7.2", camille, docbridge.Converted, "")
	now := time.Now().Add(2 * time.Hour)
	m := metrics.New(metrics.Options{Store: f.st, Stall: metrics.Stall{NoIntake: time.Hour, OldestPending: 3 * time.Hour}, Log: zerolog.Nop(), Now: func() time.Time { return now }})
	m.Observe(pipeline.Event{State: docbridge.Delivered, Latency: 3 * time.Second})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) }))
	defer backend.Close()
	hc := &http.Client{Transport: m.Transport(nil)}
	resp, err := hc.Post(backend.URL, "application/fhir+json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if _, err := (&http.Client{Transport: m.Transport(roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("connection refused")
	}))}).Get(backend.URL); err == nil {
		t.Fatal("want the transport's error")
	}

	body := scrape(t, m)
	for _, want := range []string{
		`docbridge_documents{intake="drop",kind="document",reason="identity-mismatch",state="review"} 1`,
		`docbridge_documents{intake="drop",kind="document",reason="",state="converted"} 1`,
		`docbridge_queue_depth 1`,
		`docbridge_review_depth 1`,
		`docbridge_stall{signal="no_intake"} 1`,
		`docbridge_stall{signal="oldest_pending"} 0`,
		`docbridge_store_up 1`,
		`docbridge_delivery_latency_seconds_count 1`,
		`docbridge_deliveries_total{kind="document",reason="",state="delivered"} 1`,
		`docbridge_mes_request_duration_seconds_count{code="201",method="POST"} 1`,
		`docbridge_mes_request_duration_seconds_count{code="error",method="GET"} 1`,
		`docbridge_oldest_pending_age_seconds 7`,
		`docbridge_seconds_since_last_intake 7`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	for _, secret := range []string{camille.INS, camille.BirthName, "urn:oid:1.2.7"} {
		if strings.Contains(body, secret) {
			t.Errorf("metrics hold %q", secret)
		}
	}
}

func TestReadyz(t *testing.T) {
	mesUp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) }))
	defer mesUp.Close()
	mesDown := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer mesDown.Close()
	tests := []struct {
		name  string
		check func(context.Context) error
		want  int
	}{
		{"no MES check", nil, http.StatusOK},
		{"MES answers (even 404)", MESProbe(nil, mesUp.URL), http.StatusOK},
		{"MES answers 503", MESProbe(nil, mesDown.URL), http.StatusServiceUnavailable},
		{"MES unreachable", MESProbe(nil, "http://127.0.0.1:1/"), http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureWith(t, func(o *Options) { o.MESCheck = tt.check })
			resp, _ := f.anonymous().get("/readyz")
			if got := resp.StatusCode; got != tt.want {
				t.Errorf("/readyz = %d, want %d", got, tt.want)
			}
		})
	}
	f := newFixture(t)
	f.st.Close()
	if resp, _ := f.anonymous().get("/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the store closed = %d, want 503", resp.StatusCode)
	}
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
