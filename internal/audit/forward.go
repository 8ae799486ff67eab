package audit

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"
)

// Outbox is the store's side of forwarding: for each target, the records
// not yet forwarded. *store.Store implements it.
type Outbox interface {
	// Pending returns up to limit records not yet forwarded to target, in
	// chain order.
	Pending(ctx context.Context, target string, limit int) ([]Record, error)
	// MarkSent records that record seq reached target; it leaves target's
	// outbox in the same transaction.
	MarkSent(ctx context.Context, target string, seq int64) error
}

// Sender sends one record to a remote audit server. It returns nil only
// when the server took the record; any error means "try again later".
// A Sender that also implements io.Closer is closed when Run returns.
type Sender interface {
	Send(ctx context.Context, r *Record) error
}

// ForwarderOptions configures a Forwarder. Target, Outbox and Sender are
// required.
type ForwarderOptions struct {
	Target string // the outbox target this forwarder drains ("syslog", "fhir")
	Outbox Outbox
	Sender Sender
	Log    zerolog.Logger
	// Poll is how often an empty outbox is read again; 0 means 1 s.
	Poll time.Duration
	// RetryBase and RetryMax space the retries while the remote is down
	// (doubling from RetryBase up to RetryMax); 0 means 1 s and 5 min.
	RetryBase, RetryMax time.Duration
	// Batch is how many records are read at a time; 0 means 100.
	Batch int
	// Exclusive, when not nil, runs each batch under a lock that instances
	// sharing one store take in turn (store.Exclusive), so that two never
	// send the same records; a batch whose lock is taken is skipped.
	Exclusive func(ctx context.Context, name string, fn func(context.Context) error) (bool, error)
}

// Forwarder drains one target's outbox to a remote audit server, in chain
// order, one record at a time: a record leaves the outbox only after the
// Sender said the remote took it, so a remote that is down loses nothing
// (it delays everything after it). A crash between the send and MarkSent
// sends that record again: receivers deduplicate on the record hash.
type Forwarder struct {
	o ForwarderOptions
}

// NewForwarder returns a Forwarder; it does nothing until Run.
func NewForwarder(o ForwarderOptions) *Forwarder {
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.RetryBase <= 0 {
		o.RetryBase = time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 5 * time.Minute
	}
	if o.Batch <= 0 {
		o.Batch = 100
	}
	return &Forwarder{o: o}
}

// Run forwards records until ctx is done, then returns nil. Failures of
// the remote or of the store are retried with backoff and logged (with
// sequence numbers only); Run returns an error only when its options are
// unusable.
func (f *Forwarder) Run(ctx context.Context) error {
	if f.o.Outbox == nil || f.o.Sender == nil || f.o.Target == "" {
		return fmt.Errorf("audit forwarder %q: outbox, sender and target are required", f.o.Target)
	}
	if c, ok := f.o.Sender.(io.Closer); ok {
		defer c.Close()
	}
	log := f.o.Log.With().Str("target", f.o.Target).Logger()
	failures := 0
	for {
		wait := f.o.Poll
		n, err := f.exclusiveBatch(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			failures++
			wait = f.delay(failures)
			log.Warn().Err(err).Int("failures", failures).Dur("retry_in", wait).Msg("audit forwarding failed; records stay in the outbox")
		case n > 0:
			if failures > 0 {
				log.Info().Int("failures", failures).Msg("audit forwarding resumed")
			}
			failures = 0
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// exclusiveBatch is forwardBatch under Exclusive, when set.
func (f *Forwarder) exclusiveBatch(ctx context.Context) (n int, err error) {
	if f.o.Exclusive == nil {
		return f.forwardBatch(ctx)
	}
	_, err = f.o.Exclusive(ctx, "audit-forward:"+f.o.Target, func(ctx context.Context) error {
		var ferr error
		n, ferr = f.forwardBatch(ctx)
		return ferr
	})
	return n, err
}

// forwardBatch sends the pending records in order and returns how many
// were sent, stopping at the first failure.
func (f *Forwarder) forwardBatch(ctx context.Context) (int, error) {
	recs, err := f.o.Outbox.Pending(ctx, f.o.Target, f.o.Batch)
	if err != nil {
		return 0, fmt.Errorf("read the outbox: %w", err)
	}
	for i := range recs {
		r := &recs[i]
		if err := f.o.Sender.Send(ctx, r); err != nil {
			return i, fmt.Errorf("send record %d: %w", r.Seq, err)
		}
		if err := f.o.Outbox.MarkSent(ctx, f.o.Target, r.Seq); err != nil {
			return i, fmt.Errorf("mark record %d sent: %w", r.Seq, err)
		}
	}
	return len(recs), nil
}

// delay is the wait after n failures in a row.
func (f *Forwarder) delay(n int) time.Duration {
	d := f.o.RetryBase
	for i := 1; i < n && d < f.o.RetryMax; i++ {
		d *= 2
	}
	return min(d, f.o.RetryMax)
}
