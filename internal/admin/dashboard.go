package admin

import (
	"context"
	"net/http"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/metrics"
	"github.com/docbridge/docbridge/internal/store"
)

// mesStatus is what the dashboard says of MES.
type mesStatus struct {
	Checked bool
	Up      bool
	Problem string
}

// checkMES asks Options.MESCheck, bounded to 3 s.
func (s *Server) checkMES(ctx context.Context) mesStatus {
	if s.o.MESCheck == nil {
		return mesStatus{}
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := s.o.MESCheck(ctx); err != nil {
		return mesStatus{Checked: true, Problem: err.Error()}
	}
	return mesStatus{Checked: true, Up: true}
}

// dashboard shows the counts by state and intake (and by kind when some
// documents are measurements or appointments), the review queue, the
// ages and stall signals, MES health and the most recent failures.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sum, err := metrics.Summarize(ctx, s.o.Store, s.o.Stall, s.o.Now())
	if err != nil {
		s.o.Log.Error().Err(err).Msg("console dashboard")
		s.fail(w, r, http.StatusServiceUnavailable, "The store does not answer; see the daemon log.")
		return
	}
	failures, err := s.o.Store.Documents(ctx, store.Filter{State: docbridge.Failed, Newest: true, Limit: 10})
	if err != nil {
		s.o.Log.Error().Err(err).Msg("console dashboard")
		s.fail(w, r, http.StatusServiceUnavailable, "The store does not answer; see the daemon log.")
		return
	}
	intakes, rows := byStateAndIntake(sum.Counts)
	s.render(w, r, http.StatusOK, "dashboard", map[string]any{
		"Summary":  sum,
		"Intakes":  intakes,
		"Rows":     rows,
		"Kinds":    byKind(sum.Counts),
		"MES":      s.checkMES(ctx),
		"Failures": failures,
		"Stall":    s.o.Stall,
	})
}
