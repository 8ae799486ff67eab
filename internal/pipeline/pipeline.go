package pipeline

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// Options configures a Pipeline. Store, Converter, Checker, Matcher and
// Sender are required.
type Options struct {
	Store     Store
	Converter Converter
	Checker   Checker
	Matcher   Matcher
	Sender    Sender
	// Finder, when not nil, is asked whether MES holds a version a
	// replacement or deletion names, when that version was sent without a
	// definite answer and nothing here will retry it, or when docbridge has
	// no record of it; without it such a document goes naming the version,
	// and MES answers.
	Finder Finder
	Log    zerolog.Logger
	// Poll is how often stages look for due work when nothing woke them;
	// 0 means 1 s.
	Poll time.Duration
	// Backoff spaces delivery retries.
	Backoff Backoff
	// Batch is how many rows a stage takes at a time; 0 means 64.
	Batch int
	// MaxAge is how long a document may wait for MES before it is given
	// up (failed, with an alert in the log); 0 means forever.
	MaxAge time.Duration
	// HoldMax is how long a document may stay held for a pairing
	// (not-paired or pairing-revoked), counted from its creation, before
	// it fails with PairingExpired and an alert in the log; 0 means
	// forever. Expiry is checked at most once a minute.
	HoldMax time.Duration
	// BreakerThreshold is how many consecutive MES outages pause
	// deliveries (circuit open); 0 means 5. The pause starts at
	// Backoff.Base and doubles up to Backoff.Max.
	BreakerThreshold int
	// Lease, when positive, makes the stages claim their work (store.Claim,
	// store.ClaimInputs) for that long instead of reading what is due: it is
	// what lets several instances share one store (PostgreSQL) without two
	// of them sending the same document. It must be longer than one
	// delivery can take; an instance that dies leaves its claimed work due
	// again when the lease ends. Zero reads due work (one instance).
	Lease time.Duration
	// Concurrency is how many requests may be in flight to MES at once (the
	// Sender's endpoint); 0 means 1. The limit adapts below it: it halves
	// when MES answers 429, 5xx or not at all, and grows back by about one
	// per limit's worth of successes; a Retry-After pauses every request. The
	// versions of one report still go one at a time, in order (chains).
	// Sender, Matcher, Finder and Observe must then be safe for concurrent
	// use.
	Concurrency int
	// Rate, when positive, bounds the deliveries to MES to this many per
	// second on average, in bursts of up to Burst (at least 1): a bulk
	// run's --rate. A delivery waiting for it when ctx ends is held for
	// mes-unavailable.
	Rate  float64
	Burst int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Profiles are the source profiles given to the Converter with
	// each input's intake and sender (docbridge.Origin), for every
	// conversion: a first one and any later one, so that a changed
	// profile applies when an input is converted again.
	Profiles docbridge.Profiles
	// Observe, when not nil, is called after each delivery is recorded
	// (see Event); it must not block.
	Observe func(ev Event)
}

// Pipeline runs the convert, match and deliver stages. It is also the Sink
// intakes hand their input to.
type Pipeline struct {
	o       Options
	breaker *breaker
	limit   *limit           // requests in flight to MES
	rate    *rateLimiter     // deliveries per second (Options.Rate); nil: no limit
	wake    [3]chan struct{} // convert, match, deliver
	pairing string           // the pairings version last seen by match
	expiry  time.Time        // when held documents were last checked for HoldMax
	mu      sync.Mutex       // guards settled
	settled map[int64]bool   // documents the current deliver step delivered inline (settle)
	claimed map[int64]bool   // documents the current deliver step claimed (Lease): this instance's to send; written before its deliveries start
	senders *answering       // inputs being accepted whose sender waits for the answer
	// journaled counts the inputs Accept answered from the intake journal.
	journaled atomic.Int64
}

const (
	stageConvert = iota
	stageMatch
	stageDeliver
)

// New returns a Pipeline; it does nothing until Run.
func New(o Options) *Pipeline {
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 64
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BreakerThreshold <= 0 {
		o.BreakerThreshold = 5
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 1
	}
	base, maxd := o.Backoff.bounds()
	p := &Pipeline{o: o, breaker: newBreaker(o.BreakerThreshold, base, maxd), limit: newLimit(o.Concurrency), rate: newRateLimiter(o.Rate, o.Burst), settled: map[int64]bool{}, claimed: map[int64]bool{},
		senders: newAnswering()}
	for i := range p.wake {
		p.wake[i] = make(chan struct{}, 1)
	}
	return p
}

var _ docbridge.Sink = (*Pipeline)(nil)

// Accept implements docbridge.Sink: it makes the input durable through the
// store, converting and checking it on the way (store.AcceptConverted) so
// that the intake learns a refusal it can report (a reason file, an HL7 AE)
// from one commit. Conversion is pure and its outcome is committed with the
// input; if it cannot be, the input is committed alone, received, and the
// convert stage takes it up again, so the returned Accepted may say
// Received. An input accepted before (the same bytes and sidecar) is
// answered with the stored outcome (outcomeOf its documents, or its
// refusal): a resend of a refused input is refused again, with the same
// reason and message. An envelope marked Journal may be answered from the
// store's intake journal instead (store.AcceptJournaled: Accepted.Journal
// set, no input id), its recording left to the convert stage (journal.go).
func (p *Pipeline) Accept(ctx context.Context, e *docbridge.Envelope) (docbridge.Accepted, error) {
	if e.Waiting {
		defer p.senders.begin()()
	}
	var c converted
	convert := func(in store.Input) (store.Conversion, error) {
		var rerr error
		c, rerr = p.conversion(in)
		return c.conversion(), rerr
	}
	var res store.Converted
	var err error
	if e.Journal {
		res, err = p.o.Store.AcceptJournaled(ctx, e, convert, p.recordJournal)
	} else {
		res, err = p.o.Store.AcceptConverted(ctx, e, convert)
	}
	if err != nil {
		return docbridge.Accepted{}, err
	}
	if res.Journal != 0 {
		p.journaled.Add(1)
		p.kick(stageConvert) // which records it (journal.go)
		return res.Accepted, nil
	}
	log := p.o.Log.With().Int64("input", res.ID).Str("intake", e.Intake).Logger()
	return p.accepted(log, res, c), nil
}

// accepted logs what the store recorded of a new input (res), whose
// conversion decided c, and returns the answer to its sender: its
// outcome, or the stored outcome of a duplicate.
func (p *Pipeline) accepted(log zerolog.Logger, res store.Converted, c converted) docbridge.Accepted {
	acc := res.Accepted
	if acc.Duplicate {
		if acc.State == docbridge.Converted {
			out := outcomeOf(res.Docs)
			acc.State, acc.Reason, acc.Message = out.state, out.reason, out.message
		}
		log.Info().Str("state", string(acc.State)).Str("reason", string(acc.Reason)).
			Msg("input already accepted (same bytes and sidecar): nothing new stored, answered as the first time")
		return acc
	}
	log.Info().Int64("bytes", acc.Size).Msg("input accepted")
	var out outcome
	switch acc.State {
	case docbridge.Failed:
		out = c.refused(log)
	case docbridge.Converted:
		out = c.recorded(log, res.Docs)
	default:
		log.Warn().Err(res.Deferred).Msg("conversion deferred to the convert stage")
		p.kick(stageConvert)
		return acc
	}
	acc.State, acc.Reason, acc.Message = out.state, out.reason, out.message
	p.kick(stageMatch)
	return acc
}

// Run runs the stages until ctx is done. It returns nil on a clean stop and
// an error only when a stage cannot go on.
func (p *Pipeline) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return p.loop(ctx, stageConvert, p.convertDue) })
	g.Go(func() error { return p.loop(ctx, stageMatch, p.matchDue) })
	g.Go(func() error { return p.loop(ctx, stageDeliver, p.deliverDue) })
	return g.Wait()
}

// loop calls step whenever the stage is woken or Poll passes. step reports
// whether it did anything; a busy stage runs again at once and wakes the
// next stage. Errors from step are logged and retried at the next tick:
// a store that is briefly unavailable must not stop the daemon.
func (p *Pipeline) loop(ctx context.Context, stage int, step func(context.Context) (bool, error)) error {
	t := time.NewTicker(p.o.Poll)
	defer t.Stop()
	var last time.Time
	for {
		if stage != stageConvert {
			p.senders.wait(ctx, last)
			last = time.Now()
		}
		busy, err := step(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			p.o.Log.Error().Err(err).Int("stage", stage).Msg("stage step failed; retrying at the next tick")
		}
		if busy && err == nil {
			if stage+1 < len(p.wake) {
				p.kick(stage + 1)
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-p.wake[stage]:
		}
	}
}

// due returns the documents in state that a stage may work on now: with
// a Lease, claimed for this instance alone; without, what is due.
func (p *Pipeline) due(ctx context.Context, state docbridge.State, limit int) ([]store.DocRow, error) {
	if p.o.Lease > 0 {
		return p.o.Store.Claim(ctx, state, p.o.Now(), p.o.Lease, limit)
	}
	return p.o.Store.Due(ctx, state, p.o.Now(), limit)
}

func (p *Pipeline) kick(stage int) {
	select {
	case p.wake[stage] <- struct{}{}:
	default:
	}
}
