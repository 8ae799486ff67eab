package main

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert"
	"github.com/docbridge/docbridge/internal/admin"
	"github.com/docbridge/docbridge/internal/audit"
	"github.com/docbridge/docbridge/internal/bulk"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/internal/pairing"
	"github.com/docbridge/docbridge/internal/pipeline"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/watch"
	"github.com/docbridge/docbridge/watch/fhirhttp"
	"github.com/docbridge/docbridge/watch/mllp"
)

var (
	_ pipeline.Converter = (*convert.Converter)(nil)
	_ bulk.Converter     = (*convert.Converter)(nil)
	_ pipeline.Sender    = (*mes.Client)(nil)
	_ pipeline.Finder    = (*mes.Client)(nil)
	_ pipeline.Matcher   = (*identity.Matcher)(nil)
	_ pipeline.Store     = (*store.Store)(nil)
	_ identity.Pairings  = (*store.Store)(nil)
	_ docbridge.Sink     = (*pipeline.Pipeline)(nil)
)

// app is the daemon wired from a Config.
type app struct {
	cfg     *Config
	log     zerolog.Logger
	store   *store.Store
	pipe    *pipeline.Pipeline
	folders []*watch.Folder
	admin   *admin.Server // nil when admin.addr is empty
	mllp    []*mllp.Server
	fhir    *fhirhttp.Server   // nil when fhir.addr is empty
	audit   []*audit.Forwarder // one per audit.forward target

	pairing   *pairing.Server    // nil when pairing.addr is empty
	refresher *pairing.Refresher // renews pairing tokens

	lock *storeLock // the store's writer lock; nil on PostgreSQL
}

// openApp takes the store's writer lock for who ("serve", "demo": see
// lockStore), opens the store and builds the pipeline and every intake of
// cfg (drop folders, MLLP listeners, the FHIR intake), the console, the
// pairing endpoints and the audit forwarders.
func openApp(ctx context.Context, cfg *Config, log zerolog.Logger, who string) (*app, error) {
	lock, err := lockStore(cfg, who)
	if err != nil {
		return nil, err
	}
	maps, loc, st, err := openBase(ctx, cfg, log)
	if err != nil {
		lock.Release()
		return nil, err
	}
	a := &app{cfg: cfg, log: log, store: st, lock: lock}
	fail := func(err error) (*app, error) {
		st.Close()
		lock.Release()
		return nil, err
	}
	metrics := newMetrics(cfg, st, log)
	mesHTTP, err := mesHTTPClient(cfg, metrics)
	if err != nil {
		return fail(usageErrorf("mes.tls: %v", err))
	}
	a.pipe = newPipeline(cfg, st, pipelineParts{convert: convertOptions(cfg, maps, loc), profiles: cfg.Profiles, mesHTTP: mesHTTP, metrics: metrics}, log)
	for _, fc := range cfg.Folders {
		f, err := watch.NewFolder(watch.FolderOptions{
			Name: fc.Name, Dir: fc.Path, Done: fc.Done, Failed: fc.Failed,
			Settle: fc.Settle, Rescan: fc.Rescan, Poll: fc.Poll, Instance: cfg.Instance, Sink: a.pipe, Log: log,
			SidecarGrace: fc.SidecarGrace, SidecarMax: fc.SidecarMax, Concurrency: fc.Concurrency,
		})
		if err != nil {
			return fail(fmt.Errorf("folder intake %s: %w", fc.Name, err))
		}
		a.folders = append(a.folders, f)
	}
	if a.pairing, a.refresher, err = newPairing(cfg, st, mesHTTP, log); err != nil {
		return fail(err)
	}
	if a.admin, err = newAdminServer(cfg, st, a.pipe, metrics, log); err != nil {
		return fail(err)
	}
	if a.mllp, err = newMLLPServers(cfg, a.pipe, log); err != nil {
		return fail(err)
	}
	if a.fhir, err = newFHIRServer(cfg, a.pipe, st, log); err != nil {
		return fail(err)
	}
	if a.audit, err = openAuditForwarding(ctx, cfg, st, log); err != nil {
		return fail(err)
	}
	return a, nil
}

// openBase loads what every command that converts needs: the mappings and
// time zone of cfg, and its store (with the token key).
func openBase(ctx context.Context, cfg *Config, log zerolog.Logger) (*mappings.Set, *time.Location, *store.Store, error) {
	maps, err := mappings.Load(cfg.Mappings.OverrideDir)
	if err != nil {
		return nil, nil, nil, usageErrorf("mappings: %v", err)
	}
	if err := cfg.checkProfileCodes(maps); err != nil {
		return nil, nil, nil, usageErrorf("%v", err)
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, nil, nil, usageErrorf("timezone: %v", err)
	}
	so, err := storeOptions(cfg, logWriter{log})
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := store.Open(ctx, so)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("open store in %s: %w", cfg.Data, err)
	}
	return maps, loc, st, nil
}

// Run runs the pipeline and every intake until ctx is done.
func (a *app) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return a.pipe.Run(ctx) })
	g.Go(func() error { return a.refresher.Run(ctx) })
	if a.pairing != nil {
		g.Go(func() error { return a.pairing.Run(ctx) })
	}
	if a.admin != nil {
		g.Go(func() error { return a.admin.Run(ctx) })
	}
	for _, f := range a.folders {
		g.Go(func() error { return f.Run(ctx) })
	}
	for _, m := range a.mllp {
		g.Go(func() error { return m.Run(ctx) })
	}
	if a.fhir != nil {
		g.Go(func() error { return a.fhir.Run(ctx) })
	}
	for _, f := range a.audit {
		g.Go(func() error { return f.Run(ctx) })
	}
	return g.Wait()
}

// Close closes the store and releases its writer lock.
func (a *app) Close() error {
	err := a.store.Close()
	a.lock.Release()
	return err
}

// leaseOf is the pipeline's lease: claims are needed only when several
// instances may share the store, that is on PostgreSQL.
func leaseOf(cfg *Config) time.Duration {
	if cfg.Database == "" {
		return 0
	}
	return cfg.Delivery.Lease
}

// convertOptions are the converters' options of a configuration.
func convertOptions(cfg *Config, maps *mappings.Set, loc *time.Location) convert.Options {
	return convert.Options{Mappings: maps, Location: loc, MaxSize: cfg.Limits.MaxInputBytes, HL7Charsets: cfg.HL7.Charsets,
		RequirePDFA: cfg.PDF.RequirePDFA}
}

func identityOptions(cfg *Config) identity.Options {
	return identity.Options{Environment: identity.Environment(cfg.Environment), AcceptVALI: cfg.Identity.AcceptVALI}
}

func newChecker(cfg *Config) pipeline.Checker {
	o := identityOptions(cfg)
	return func(d *docbridge.Document) []docbridge.Problem { return identity.CheckDocument(d, o) }
}
