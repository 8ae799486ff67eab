package main

import (
	"net/http"
	"os"
	"strings"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge/internal/pairing"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mes"
)

var (
	_ pairing.OAuth = (*mes.PairingClient)(nil)
	_ pairing.Store = (*store.Store)(nil)
)

// newPairingClient is the MES pairing client of cfg: its OAuth2 endpoints
// under pairing.mes_url, the callback under pairing.public_url.
func newPairingClient(cfg *Config, hc *http.Client) (*mes.PairingClient, error) {
	secret := ""
	if f := cfg.Pairing.ClientSecretFile; f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, usageErrorf("pairing.client_secret_file: %v", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	return mes.NewPairingClient(mes.PairingOptions{
		BaseURL: cfg.Pairing.MESURL, ClientID: cfg.Pairing.ClientID, ClientSecret: secret,
		RedirectURL: strings.TrimRight(cfg.Pairing.PublicURL, "/") + "/callback",
		HTTPClient:  hc, UserAgent: "docbridge/" + version(), Scopes: cfg.MES.pairingScopes(),
	}), nil
}

// newPairing builds the pairing endpoints (nil when pairing.addr is empty)
// and the token refresher, which always runs.
func newPairing(cfg *Config, st *store.Store, hc *http.Client, log zerolog.Logger) (*pairing.Server, *pairing.Refresher, error) {
	oc, err := newPairingClient(cfg, hc)
	if err != nil {
		return nil, nil, err
	}
	plog := log.With().Str("component", "pairing").Logger()
	r := pairing.NewRefresher(pairing.RefresherOptions{OAuth: oc, Store: st, Exclusive: st.Exclusive,
		Before: cfg.Pairing.RefreshBefore, Every: cfg.Pairing.RefreshEvery, Log: plog})
	if cfg.Pairing.Addr == "" {
		return nil, r, nil
	}
	// The token key also seals the state of pairings in progress, so that
	// instances sharing a database (and so the key) finish each other's
	// pairings; without one (environment: test) each process draws its own.
	key, err := loadTokenKey(cfg.Security)
	if err != nil {
		return nil, nil, err
	}
	s := pairing.NewServer(pairing.Options{OAuth: oc, Store: st, Identity: identityOptions(cfg),
		Addr: cfg.Pairing.Addr, TLSCert: cfg.Pairing.TLS.Cert, TLSKey: cfg.Pairing.TLS.Key,
		ServiceName: cfg.Pairing.ServiceName, StateKey: key, Log: plog, Scopes: cfg.MES.pairingScopes()})
	return s, r, nil
}

// logWriter writes each line it is given as a warning with alert set.
type logWriter struct{ log zerolog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Warn().Bool("alert", true).Msg(strings.TrimSpace(strings.TrimPrefix(string(p), "docbridge: ")))
	return len(p), nil
}
