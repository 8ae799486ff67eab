package pairing

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
)

// RefresherOptions configures a Refresher. OAuth and Store are required.
type RefresherOptions struct {
	OAuth OAuth
	Store Store
	// Before is how long before its expiry a token is refreshed; 0 means
	// 5 min. Every is how often pairings are looked at; 0 means 1 min.
	Before, Every time.Duration
	Log           zerolog.Logger
	Now           func() time.Time // nil means time.Now
	// Exclusive, when not nil, runs each round under a lock that
	// instances sharing one store take in turn (store.Exclusive): two
	// refreshing one token at once would spend its refresh token twice.
	// A round whose lock is taken is skipped.
	Exclusive func(ctx context.Context, name string, fn func(context.Context) error) (bool, error)
}

// Refresher renews pairing tokens ahead of their expiry, so that a live
// pairing's token does not expire in use (a 401 at delivery marks the
// pairing revoked). When MES refuses a refresh (invalid_grant, 401) the
// pairing is gone: it is marked revoked, and its documents are held with
// pairing-revoked until the patient pairs again.
type Refresher struct{ o RefresherOptions }

// NewRefresher returns a Refresher; it does nothing until Run.
func NewRefresher(o RefresherOptions) *Refresher {
	if o.Before <= 0 {
		o.Before = 5 * time.Minute
	}
	if o.Every <= 0 {
		o.Every = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Refresher{o: o}
}

// Run calls RefreshDue every Options.Every until ctx is done. Errors are
// logged and retried at the next tick; it returns nil.
func (r *Refresher) Run(ctx context.Context) error {
	t := time.NewTicker(r.o.Every)
	defer t.Stop()
	for {
		if err := r.round(ctx); err != nil && ctx.Err() == nil {
			r.o.Log.Error().Err(err).Msg("pairing refresh failed; retrying at the next tick")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// round is one RefreshDue, under Exclusive when set.
func (r *Refresher) round(ctx context.Context) error {
	if r.o.Exclusive == nil {
		_, err := r.RefreshDue(ctx)
		return err
	}
	_, err := r.o.Exclusive(ctx, "pairing-refresh", func(ctx context.Context) error {
		_, err := r.RefreshDue(ctx)
		return err
	})
	return err
}

// RefreshDue refreshes every live pairing with a refresh token whose
// access token expires within Before (or has expired). It returns how many
// pairings changed (refreshed or found revoked). MES being unavailable is
// logged and left for the next call; an error means the store failed.
func (r *Refresher) RefreshDue(ctx context.Context) (int, error) {
	ps, err := r.o.Store.Pairings(ctx)
	if err != nil {
		return 0, fmt.Errorf("list pairings: %w", err)
	}
	changed := 0
	for _, p := range ps {
		if p.Revoked || p.RefreshToken == "" || p.ExpiresAt.IsZero() || p.ExpiresAt.Sub(r.o.Now()) > r.o.Before {
			continue
		}
		tok, err := r.o.OAuth.Refresh(ctx, p.RefreshToken)
		switch reason := docbridge.ReasonOf(err); reason {
		case "":
			p.AccessToken, p.ExpiresAt = tok.AccessToken, tok.ExpiresAt
			if sc := tok.Scopes(); len(sc) > 0 {
				p.Scopes = sc
			}
			if tok.RefreshToken != "" {
				p.RefreshToken = tok.RefreshToken
			}
		case docbridge.PairingRevoked:
			p.Revoked = true
			r.o.Log.Warn().Str("pairing", p.ID).Str("reason", string(reason)).Msg("MES refused to refresh the pairing: it is revoked; its documents are held")
		default:
			r.o.Log.Warn().Str("pairing", p.ID).Str("reason", string(reason)).Msg("pairing refresh deferred")
			continue
		}
		if err := r.o.Store.PutPairing(audit.WithActor(ctx, "refresh"), p); err != nil {
			return changed, fmt.Errorf("store refreshed pairing %s: %w", p.ID, err)
		}
		changed++
	}
	return changed, nil
}
