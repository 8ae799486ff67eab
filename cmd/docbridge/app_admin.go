package main

import (
	"context"
	"net/http"
	"strings"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge/internal/admin"
	"github.com/docbridge/docbridge/internal/audit"
	"github.com/docbridge/docbridge/internal/metrics"
	"github.com/docbridge/docbridge/internal/operate"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mes"
)

var (
	_ admin.Store          = (*store.Store)(nil)
	_ operate.HistoryStore = (*store.Store)(nil)
)

// newMetrics builds the metrics the pipeline and the MES client feed; they
// are served only when the console runs.
func newMetrics(cfg *Config, st *store.Store, log zerolog.Logger) *metrics.Metrics {
	return metrics.New(metrics.Options{Store: st, Stall: stallOf(cfg), Log: log})
}

func stallOf(cfg *Config) metrics.Stall {
	return metrics.Stall{NoIntake: cfg.Admin.Stall.NoIntake, OldestPending: cfg.Admin.Stall.OldestPending}
}

// mesHTTPClient is the MES client's default HTTP client with its requests
// timed by the metrics.
func mesHTTPClient(cfg *Config, m *metrics.Metrics) (*http.Client, error) {
	tc, err := mesTLS(cfg)
	if err != nil {
		return nil, err
	}
	hc := mes.NewHTTPClient(tc)
	if t, ok := hc.Transport.(*http.Transport); ok && cfg.MES.ResponseTimeout > 0 {
		t.ResponseHeaderTimeout = cfg.MES.ResponseTimeout
	}
	hc.Transport = m.Transport(hc.Transport)
	return hc, nil
}

// newAdminServer builds the console of cfg.Admin, or returns nil when
// admin.addr is empty. Console sign-ins and searches are audited in the
// store's audit trail.
func newAdminServer(cfg *Config, st *store.Store, rc operate.Reconverter, m *metrics.Metrics, log zerolog.Logger) (*admin.Server, error) {
	ac := cfg.Admin
	if ac.Addr == "" {
		return nil, nil
	}
	users, err := ac.users()
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	o := admin.Options{
		Store: st, Users: users, TrustedHeader: ac.TrustedHeader, TrustedProxies: ac.proxies(),
		Addr: ac.Addr, TLSCert: ac.TLS.Cert, TLSKey: ac.TLS.Key, SessionTTL: ac.SessionTTL, Throttle: ac.throttle(),
		Metrics: m, Stall: stallOf(cfg), Log: log.With().Str("component", "admin").Logger(), Reconverter: rc,
		Audit: func(ctx context.Context, actor string, docID int64, msg string) error {
			return st.RecordAdmin(audit.WithActor(ctx, actor), docID, msg)
		},
	}
	if ac.MESHealthPath != "" {
		o.MESCheck = admin.MESProbe(nil, strings.TrimSuffix(cfg.MES.BaseURL, "/")+"/"+strings.TrimPrefix(ac.MESHealthPath, "/"))
	}
	s, err := admin.New(o)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return s, nil
}
