package main

import (
	"fmt"
	"net/url"
	"path/filepath"
	"time"
)

// PairingConfig is the `pairing:` section: docbridge's OAuth2 pairing
// endpoints (GET /start, GET /callback) and the token refresher.
type PairingConfig struct {
	// Addr is the listen address of the pairing endpoints; empty serves
	// none (pairings can still be imported, and tokens are refreshed).
	Addr string `yaml:"addr"`
	// PublicURL is how patients' browsers reach Addr, without the
	// endpoint paths: the callback registered at MES is PublicURL +
	// "/callback". Default http(s)://Addr.
	PublicURL string `yaml:"public_url"`
	TLS       struct {
		Cert string `yaml:"cert"`
		Key  string `yaml:"key"`
	} `yaml:"tls"`
	// MESURL is the base of MES's pairing (OAuth2) endpoints; default
	// mes.base_url.
	MESURL string `yaml:"mes_url"`
	// ClientID is docbridge's OAuth2 client id at MES (default
	// "docbridge"); ClientSecretFile, if set, holds its secret.
	ClientID         string `yaml:"client_id"`
	ClientSecretFile string `yaml:"client_secret_file"`
	// ServiceName is shown on docbridge's pairing pages; default
	// "docbridge".
	ServiceName string `yaml:"service_name"`
	// RefreshBefore is how long before expiry tokens are refreshed
	// (default 5m); RefreshEvery how often pairings are looked at
	// (default 1m).
	RefreshBefore time.Duration `yaml:"refresh_before"`
	RefreshEvery  time.Duration `yaml:"refresh_every"`
}

// SecurityConfig is the `security:` section: where the key that encrypts
// pairing tokens at rest comes from.
type SecurityConfig struct {
	// KeyFile holds the 32-byte key: raw, 64 hex digits or base64.
	KeyFile string `yaml:"key_file"`
	// KeyEnv names the environment variable holding the key (hex or
	// base64) when KeyFile is empty; default DOCBRIDGE_TOKEN_KEY.
	KeyEnv string `yaml:"key_env"`
}

func (c *Config) pairingDefaults() {
	p := &c.Pairing
	if p.MESURL == "" {
		p.MESURL = c.MES.BaseURL
	}
	if p.ClientID == "" {
		p.ClientID = "docbridge"
	}
	if p.ServiceName == "" {
		p.ServiceName = "docbridge"
	}
	if p.RefreshBefore == 0 {
		p.RefreshBefore = 5 * time.Minute
	}
	if p.RefreshEvery == 0 {
		p.RefreshEvery = time.Minute
	}
	if p.PublicURL == "" && p.Addr != "" {
		scheme := "http"
		if p.TLS.Cert != "" {
			scheme = "https"
		}
		p.PublicURL = scheme + "://" + p.Addr
	}
	if c.Security.KeyEnv == "" {
		c.Security.KeyEnv = defaultKeyEnv
	}
}

func (c *Config) relativePairing(base string) {
	for _, p := range []*string{&c.Pairing.TLS.Cert, &c.Pairing.TLS.Key, &c.Pairing.ClientSecretFile, &c.Security.KeyFile} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
}

func (c *Config) checkPairing() []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	p := c.Pairing
	if (p.TLS.Cert == "") != (p.TLS.Key == "") {
		bad("pairing.tls", "cert and key go together")
	}
	if p.Addr != "" {
		if u, err := url.Parse(p.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("pairing.public_url", "%q is not an absolute http(s) URL", p.PublicURL)
		} else if c.Environment == "production" && u.Scheme != "https" {
			bad("pairing.public_url", "must be https in production: the callback carries the authorization code")
		}
	}
	if p.RefreshBefore < 0 || p.RefreshEvery < 0 {
		bad("pairing", "refresh_before and refresh_every must not be negative")
	}
	if c.Identity.HoldMax < 0 {
		bad("identity.hold_max", "must not be negative")
	}
	return errs
}
