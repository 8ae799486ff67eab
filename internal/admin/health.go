package admin

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// healthz answers 200 while the process serves requests.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

// readyz answers 200 when the store answers a query and, if a MES check
// is configured, MES answers; 503 otherwise, naming what is not ready.
// Each check is bounded to 3 s.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	var problems []string
	if err := s.o.Store.Ping(ctx); err != nil {
		s.o.Log.Warn().Err(err).Msg("not ready: store")
		problems = append(problems, "store: not answering")
	}
	if m := s.checkMES(r.Context()); m.Checked && !m.Up {
		s.o.Log.Warn().Str("problem", m.Problem).Msg("not ready: MES")
		problems = append(problems, "mes: "+m.Problem)
	}
	if len(problems) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		for _, p := range problems {
			fmt.Fprintln(w, p)
		}
		return
	}
	io.WriteString(w, "ready\n")
}

// MESProbe returns a check that MES answers: a HEAD request to url with
// client (nil: a client with a 3 s timeout) whose answer is not a 5xx.
// Any HTTP answer below 500 (even 401 or 404) shows that MES is up.
func MESProbe(client *http.Client, url string) func(ctx context.Context) error {
	if client == nil {
		client = &http.Client{Timeout: 3 * time.Second}
	}
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
		if err != nil {
			return fmt.Errorf("build MES health request: %w", err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("MES does not answer: %w", err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			return fmt.Errorf("MES answers %s", resp.Status)
		}
		return nil
	}
}
