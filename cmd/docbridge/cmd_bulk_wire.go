package main

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert"
	"github.com/docbridge/docbridge/internal/bulk"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/internal/store"
)

var _ bulk.Store = (*store.Store)(nil)

// bulkApp is what `docbridge bulk` wires: the store, the converters and
// identity rules of the configuration, and (for a real run) a pipeline of
// its own whose deliveries are rate-limited. It runs no intake, console or
// listener. A real run on SQLite holds the store's writer lock, so it
// does not start while serve runs on the same store.
type bulkApp struct {
	cfg     *Config
	log     zerolog.Logger
	st      *store.Store
	co      convert.Options
	check   bulk.Checker
	matcher *identity.Matcher
	rate    float64
	burst   int
	// profile is the run's practice profile (--profile), nil for none.
	profile *docbridge.Profile
	// lock is the store's writer lock of a real run on SQLite; nil for a
	// dry run or on PostgreSQL.
	lock *storeLock
}

func openBulk(ctx context.Context, f bulkFlags, stderr io.Writer) (*bulkApp, error) {
	if *f.store.cfg != "" && *f.environment != "" {
		return nil, usageErrorf("bulk: --environment goes with --data; -c takes the configuration's")
	}
	var cfg *Config
	switch {
	case *f.store.cfg != "" && *f.store.data != "":
		return nil, usageErrorf("give -c or --data, not both")
	case *f.store.cfg != "":
		var err error
		if cfg, err = loadConfig(*f.store.cfg); err != nil {
			return nil, err
		}
	case *f.store.data != "":
		cfg = &Config{Data: *f.store.data, Environment: *f.environment}
		cfg.defaults()
	default:
		return nil, usageErrorf("-c FILE or --data DIR is required")
	}
	if *f.mes != "" {
		cfg.MES.BaseURL = *f.mes
	}
	switch cfg.Environment {
	case "production", "test":
	default:
		return nil, usageErrorf("bulk: environment %q is not production or test", cfg.Environment)
	}
	if !*f.dryRun && cfg.MES.BaseURL == "" {
		return nil, usageErrorf("bulk: a real run needs MES: mes.base_url in the configuration, or --mes URL")
	}
	level := "warn"
	if *f.verbose {
		level = "info"
	}
	log, _ := newLogger(stderr, "console", level)
	// A real run drives a pipeline on the store: it takes the writer lock,
	// as serve does, and refuses to run beside it. A dry run writes
	// nothing and may.
	var lock *storeLock
	if !*f.dryRun {
		var err error
		if lock, err = lockStore(cfg, "bulk"); err != nil {
			return nil, err
		}
	}
	maps, loc, st, err := openBase(ctx, cfg, log)
	if err != nil {
		lock.Release()
		return nil, err
	}
	var prof *docbridge.Profile
	if *f.profile != "" {
		if prof, err = loadBulkProfile(*f.profile, maps); err != nil {
			st.Close()
			lock.Release()
			return nil, err
		}
	}
	return &bulkApp{lock: lock,
		cfg: cfg, log: log, st: st, co: convertOptions(cfg, maps, loc), check: bulk.Checker(newChecker(cfg)),
		matcher: newMatcher(st),
		rate:    *f.rate, burst: *f.burst, profile: prof,
	}, nil
}

// invitation is what the invitations show: the pairing endpoint of the
// configuration (pairing.public_url + "/start"), the service's name and
// the practice of the profile.
func (b *bulkApp) invitation() bulk.Invitation {
	inv := bulk.Invitation{Service: b.cfg.Pairing.ServiceName}
	if u := b.cfg.Pairing.PublicURL; u != "" {
		inv.PairingURL = strings.TrimSuffix(u, "/") + "/start"
	}
	if b.profile != nil && b.profile.Custodian != nil {
		inv.Practice = b.profile.Custodian.Name
	}
	return inv
}

// profiles are the source profiles of the run: the run's profile
// (--profile), selected for the bulk intake and listed first so that it
// wins over a configured profile as specific, then the configuration's.
// The converters fill from the chosen one what a file leaves empty.
func (b *bulkApp) profiles() docbridge.Profiles {
	if b.profile == nil {
		return b.cfg.Profiles
	}
	p := *b.profile
	p.When = docbridge.ProfileSelector{Intake: bulk.Intake}
	return append(docbridge.Profiles{p}, b.cfg.Profiles...)
}

// Close closes the store.
func (b *bulkApp) Close() error {
	err := b.st.Close()
	b.lock.Release()
	return err
}

// run runs the pipeline's stages while bulk.Run feeds it, and stops them
// when the report is read.
func (b *bulkApp) run(ctx context.Context, o bulk.Options, wait time.Duration) (*bulk.Result, error) {
	metrics := newMetrics(b.cfg, b.st, b.log)
	mesHTTP, err := mesHTTPClient(b.cfg, metrics)
	if err != nil {
		return nil, usageErrorf("mes.tls: %v", err)
	}
	pipe := newPipeline(b.cfg, b.st, pipelineParts{convert: b.co, profiles: b.profiles(), mesHTTP: mesHTTP, metrics: metrics, rate: b.rate, burst: b.burst}, b.log)
	pctx, stop := context.WithCancel(ctx)
	g, pctx := errgroup.WithContext(pctx)
	g.Go(func() error { return pipe.Run(pctx) })
	var res *bulk.Result
	g.Go(func() error {
		defer stop()
		var err error
		res, err = bulk.Run(pctx, bulk.RunOptions{
			Options: o, Sink: pipe, Store: b.st, Wait: wait,
			Detect: func(raw []byte) docbridge.Format { f, _ := convert.Detect(raw); return f },
		})
		if err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	})
	if err := g.Wait(); err != nil {
		if res != nil {
			res.Close()
		}
		return nil, err
	}
	return res, nil
}
