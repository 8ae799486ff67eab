package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/docbridge/docbridge/internal/store"
)

// defaultKeyEnv is the environment variable read for the token key when
// security.key_env is not set.
const defaultKeyEnv = "DOCBRIDGE_TOKEN_KEY"

// loadTokenKey reads the key that encrypts pairing tokens at rest from
// security.key_file, else from the environment variable security.key_env.
// It returns nil when neither gives one. A key that is not 32 bytes (raw,
// hex or base64) is a configuration error.
func loadTokenKey(sc SecurityConfig) ([]byte, error) {
	if sc.KeyFile != "" {
		b, err := os.ReadFile(sc.KeyFile)
		if err != nil {
			return nil, usageErrorf("security.key_file: %v", err)
		}
		k, err := parseTokenKey(b)
		if err != nil {
			return nil, usageErrorf("security.key_file %s: %v", sc.KeyFile, err)
		}
		return k, nil
	}
	name := sc.keyEnv()
	v := os.Getenv(name)
	if v == "" {
		return nil, nil
	}
	k, err := parseTokenKey([]byte(v))
	if err != nil {
		return nil, usageErrorf("environment variable %s: %v", name, err)
	}
	return k, nil
}

// keyEnv is the environment variable that holds the token key:
// security.key_env, else DOCBRIDGE_TOKEN_KEY.
func (sc SecurityConfig) keyEnv() string {
	if sc.KeyEnv != "" {
		return sc.KeyEnv
	}
	return defaultKeyEnv
}

func parseTokenKey(b []byte) ([]byte, error) {
	if len(b) == store.TokenKeySize {
		return b, nil
	}
	s := string(bytes.TrimSpace(b))
	if k, err := hex.DecodeString(s); err == nil && len(k) == store.TokenKeySize {
		return k, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == store.TokenKeySize {
			return k, nil
		}
	}
	return nil, fmt.Errorf("the key must be %d bytes: raw, %d hex digits or base64 (generate one with: head -c 32 /dev/urandom | base64)", store.TokenKeySize, 2*store.TokenKeySize)
}

// tokenKeyFor returns the token key of cfg, enforcing the rule: in
// production docbridge refuses to run without one; in test a missing key
// is allowed and said loudly on warn.
func tokenKeyFor(cfg *Config, warn io.Writer) ([]byte, error) {
	k, err := loadTokenKey(cfg.Security)
	if err != nil || k != nil {
		return k, err
	}
	if cfg.Environment != "test" {
		return nil, usageErrorf("security: no key to encrypt pairing tokens at rest: set security.key_file or the %s environment variable (environment: production refuses to run without one)", cfg.Security.keyEnv())
	}
	fmt.Fprintf(warn, "docbridge: WARNING: no security key (security.key_file or $%s): pairing tokens are stored IN CLEAR; allowed only because environment is test\n", cfg.Security.keyEnv())
	return nil, nil
}

// storeOptions are the store options of cfg, token key included (see
// tokenKeyFor). Every command that opens the store of a configuration
// uses it, so that encrypted tokens can be read.
func storeOptions(cfg *Config, warn io.Writer) (store.Options, error) {
	k, err := tokenKeyFor(cfg, warn)
	if err != nil {
		return store.Options{}, err
	}
	return store.Options{Dir: cfg.Data, Postgres: cfg.Database, MaxInputSize: cfg.Limits.MaxInputBytes, TokenKey: k}, nil
}
