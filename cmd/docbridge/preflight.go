package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge/internal/admin"
	"github.com/docbridge/docbridge/mappings"
)

// startProblems makes the checks that need this machine, on a
// configuration that loadConfig accepted: the files it names (mappings,
// token key, FHIR tokens, every TLS file, the pairing client secret, the
// console's users), and the directories serve writes (data, each drop
// folder and its done/ and failed/), which must exist or be creatable and
// accept a new file. Each problem starts with its field. It writes nothing
// but a temporary file it removes.
//
// `config check` prints them; `serve` refuses to start on any of them, so
// that a configuration the check accepts is one serve starts with.
func startProblems(cfg *Config) []string {
	var out []string
	add := func(field string, err error) {
		if err != nil {
			out = append(out, fmt.Sprintf("%s: %v", field, err))
		}
	}
	if maps, err := mappings.Load(cfg.Mappings.OverrideDir); err != nil {
		add("mappings.override_dir", err)
	} else if err := cfg.checkProfileCodes(maps); err != nil {
		out = append(out, strings.Split(err.Error(), "\n")...)
	}
	add("data", writableDir(cfg.Data))
	if _, err := tokenKeyFor(cfg, io.Discard); err != nil {
		out = append(out, err.Error())
	}
	out = append(out, cfg.fileProblems()...)
	users, err := cfg.Admin.users()
	if err != nil {
		out = append(out, err.Error())
	}
	for _, u := range users {
		for _, p := range admin.CheckUser(u) {
			out = append(out, fmt.Sprintf("admin user %q: %s", u.Name, p))
		}
	}
	if cfg.Admin.Addr != "" && len(users) == 0 {
		out = append(out, "admin.users: the console is on (admin.addr) but nobody can sign in")
	}
	for i, f := range cfg.Folders {
		field := fmt.Sprintf("folders[%d]", i)
		for sub, dir := range map[string]string{".path": f.Path, ".done": f.Done, ".failed": f.Failed} {
			if dir != "" {
				add(field+sub, writableDir(dir))
			}
		}
	}
	slices.Sort(out)
	return out
}

// fileProblems reads the files the intakes, the console and the MES and
// pairing clients load at start, as they load them.
func (cfg *Config) fileProblems() []string {
	var out []string
	add := func(field string, err error) {
		if err != nil {
			out = append(out, fmt.Sprintf("%s: %v", field, err))
		}
	}
	if cfg.FHIR.Addr != "" {
		if cfg.FHIR.TokensFile != "" {
			_, err := readTokens(cfg.FHIR.TokensFile, zerolog.Nop())
			add("fhir.tokens_file", err)
		}
		if cfg.FHIR.TLS != nil {
			_, err := mllpTLS(cfg.FHIR.TLS)
			add("fhir.tls", err)
		}
	}
	for i, m := range cfg.MLLP {
		if m.TLS != nil {
			_, err := mllpTLS(m.TLS)
			add(fmt.Sprintf("mllp[%d].tls", i), err)
		}
	}
	_, err := mesTLS(cfg)
	add("mes.tls", err)
	for field, p := range map[string]string{
		"admin.tls.cert": cfg.Admin.TLS.Cert, "admin.tls.key": cfg.Admin.TLS.Key,
		"pairing.tls.cert": cfg.Pairing.TLS.Cert, "pairing.tls.key": cfg.Pairing.TLS.Key,
		"pairing.client_secret_file": cfg.Pairing.ClientSecretFile,
	} {
		if p != "" {
			add(field, readable(p))
		}
	}
	return out
}

// readable reports whether the file p can be opened for reading.
func readable(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	return f.Close()
}

// writableDir reports whether dir (or, when it does not exist yet, its
// nearest existing parent, where serve would create it) accepts a new
// file.
func writableDir(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if errors.Is(err, os.ErrNotExist) && filepath.Dir(d) != d {
			continue
		}
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", d)
		}
		f, err := os.CreateTemp(d, ".docbridge-check-*")
		if err != nil {
			if d != dir {
				return fmt.Errorf("%s does not exist and cannot be created in %s: %w", dir, d, err)
			}
			return fmt.Errorf("not writable: %w", err)
		}
		name := f.Name()
		f.Close()
		return os.Remove(name)
	}
}
