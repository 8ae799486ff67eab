package main

import (
	"net/http"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/internal/metrics"
	"github.com/docbridge/docbridge/internal/operate"
	"github.com/docbridge/docbridge/internal/pipeline"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mes"
)

// pipelineParts are what a pipeline takes besides the configuration and
// the store: what differs between serve and demo, a bulk run and a
// reconversion.
type pipelineParts struct {
	// convert are the converters' options (convertOptions).
	convert convert.Options
	// profiles are the source profiles: the configuration's, or a bulk
	// run's profile first.
	profiles docbridge.Profiles
	// mesHTTP is the MES client's HTTP client (mesHTTPClient); nil for a
	// pipeline that only converts (queue reconvert), which is never Run.
	mesHTTP *http.Client
	// metrics observe the deliveries; nil observes nothing.
	metrics *metrics.Metrics
	// rate and burst bound the deliveries per second (bulk --rate); 0 is
	// no bound.
	rate  float64
	burst int
}

// newPipeline is the one constructor of the pipeline: serve and demo
// (openApp), a real bulk run and queue reconvert build it here, so that
// each has the same converter, checks, matcher, MES client, backoff,
// limits and observer from the configuration.
func newPipeline(cfg *Config, st *store.Store, x pipelineParts, log zerolog.Logger) *pipeline.Pipeline {
	o := pipeline.Options{
		Store:     st,
		Converter: convert.New(x.convert),
		Profiles:  x.profiles,
		Checker:   newChecker(cfg),
		Matcher:   newMatcher(st),
		Log:       log,
		Backoff:   pipeline.Backoff{Base: cfg.Delivery.RetryBase, Max: cfg.Delivery.RetryMax},
		MaxAge:    cfg.Delivery.MaxAge,
		HoldMax:   cfg.Identity.HoldMax,

		BreakerThreshold: cfg.Delivery.BreakerThreshold,
		Concurrency:      cfg.Delivery.Concurrency,
		Lease:            leaseOf(cfg),
		Rate:             x.rate,
		Burst:            x.burst,
	}
	if x.mesHTTP != nil {
		client := mes.NewClient(mesOptions(cfg, x.mesHTTP))
		o.Sender, o.Finder = client, client
	}
	if x.metrics != nil {
		o.Observe = x.metrics.Observe
	}
	return pipeline.New(o)
}

// newMatcher is the identity matcher over the store's pairings and the
// review decisions people recorded: the pipeline's and a bulk dry run's.
func newMatcher(st *store.Store) *identity.Matcher {
	return &identity.Matcher{Pairings: st, Decisions: operate.DecisionLog{Store: st}}
}
