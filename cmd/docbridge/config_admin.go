package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/docbridge/docbridge/internal/admin"
)

// AdminConfig is the admin: section: the web console, /metrics and the
// health endpoints. An empty Addr turns all of them off.
type AdminConfig struct {
	// Addr is where the console listens, e.g. 127.0.0.1:8443.
	Addr string `yaml:"addr"`
	// Users are the local users; UsersFile, when set, names a YAML file
	// with more ({users: [...]}), so that hashes can live apart from the
	// rest of the configuration.
	Users     []AdminUser `yaml:"users"`
	UsersFile string      `yaml:"users_file"`
	// TrustedHeader names the header in which a reverse proxy gives the
	// signed-in user's name; it is believed only from TrustedProxies.
	TrustedHeader  string   `yaml:"trusted_header"`
	TrustedProxies []string `yaml:"trusted_proxies"`
	TLS            struct {
		Cert string `yaml:"cert"`
		Key  string `yaml:"key"`
	} `yaml:"tls"`
	// SessionTTL is how long a console session lasts; default 8h.
	SessionTTL time.Duration `yaml:"session_ttl"`
	// SignIn locks the password form after failed sign-ins (see
	// admin.ThrottleOptions); zero values take the defaults.
	SignIn struct {
		Failures        int           `yaml:"failures"`         // per account and address; default 5
		AddressFailures int           `yaml:"address_failures"` // per address; default 20
		AccountFailures int           `yaml:"account_failures"` // per account; default 50
		MaxLockout      time.Duration `yaml:"max_lockout"`      // default 15m
	} `yaml:"sign_in"`
	// MESHealthPath, when set, makes /readyz and the dashboard check that
	// MES answers a HEAD on mes.base_url + this path (e.g. "/metadata").
	MESHealthPath string `yaml:"mes_health_path"`
	Stall         struct {
		NoIntake      time.Duration `yaml:"no_intake"`      // no input for this long; 0: off
		OldestPending time.Duration `yaml:"oldest_pending"` // a document pending this long; 0: off
	} `yaml:"stall"`
}

// AdminUser is one console user; PasswordHash comes from
// `docbridge admin hash-password`.
type AdminUser struct {
	Name         string `yaml:"name"`
	PasswordHash string `yaml:"password_hash"`
	Role         string `yaml:"role"` // viewer or operator
}

// relative makes the section's paths relative to the configuration's
// directory.
func (a *AdminConfig) relative(base string) {
	for _, p := range []*string{&a.UsersFile, &a.TLS.Cert, &a.TLS.Key} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
}

// check returns the section's problems, each naming its field. It reads
// no file: `config check` and startup read the users file and TLS files.
func (a *AdminConfig) check() []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("admin.%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if a.Addr != "" {
		if _, _, err := net.SplitHostPort(a.Addr); err != nil {
			bad("addr", "%v", err)
		}
	}
	if (a.TLS.Cert == "") != (a.TLS.Key == "") {
		bad("tls", "cert and key go together")
	}
	for i, u := range a.Users {
		for _, p := range admin.CheckUser(u.user()) {
			errs = append(errs, fmt.Errorf("admin.users[%d].%s", i, p))
		}
	}
	for i, p := range a.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			bad(fmt.Sprintf("trusted_proxies[%d]", i), "%q is not a CIDR (e.g. 127.0.0.1/32)", p)
		}
	}
	if a.TrustedHeader != "" && len(a.TrustedProxies) == 0 {
		bad("trusted_proxies", "required with trusted_header: the proxies whose header is believed")
	}
	if a.SessionTTL < 0 || a.Stall.NoIntake < 0 || a.Stall.OldestPending < 0 {
		bad("session_ttl, stall", "durations must not be negative")
	}
	if si := a.SignIn; si.Failures < 0 || si.AddressFailures < 0 || si.AccountFailures < 0 || si.MaxLockout < 0 {
		bad("sign_in", "failures, address_failures, account_failures and max_lockout must not be negative")
	}
	return errs
}

// throttle is the sign-in throttle of the section.
func (a *AdminConfig) throttle() admin.ThrottleOptions {
	return admin.ThrottleOptions{Failures: a.SignIn.Failures, AddressFailures: a.SignIn.AddressFailures,
		AccountFailures: a.SignIn.AccountFailures, MaxLockout: a.SignIn.MaxLockout}
}

func (u AdminUser) user() admin.User {
	return admin.User{Name: u.Name, PasswordHash: u.PasswordHash, Role: admin.Role(u.Role)}
}

// users returns the configured users and those of UsersFile.
func (a *AdminConfig) users() ([]admin.User, error) {
	all := append([]AdminUser(nil), a.Users...)
	if a.UsersFile != "" {
		b, err := os.ReadFile(a.UsersFile)
		if err != nil {
			return nil, fmt.Errorf("admin.users_file: %w", err)
		}
		var f struct {
			Users []AdminUser `yaml:"users"`
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("admin.users_file %s: %w", a.UsersFile, yamlError(b, reflect.TypeOf(f), err))
		}
		all = append(all, f.Users...)
	}
	out := make([]admin.User, len(all))
	for i, u := range all {
		out[i] = u.user()
	}
	return out, nil
}

// proxies parses TrustedProxies (checked by check).
func (a *AdminConfig) proxies() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range a.TrustedProxies {
		if pf, err := netip.ParsePrefix(p); err == nil {
			out = append(out, pf)
		}
	}
	return out
}
