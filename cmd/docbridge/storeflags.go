package main

import (
	"context"
	"errors"
	"flag"
	"os"

	"github.com/docbridge/docbridge/internal/store"
)

// storeFlags are the -c and --data flags of every command that reads or
// writes the store.
type storeFlags struct {
	cfg  *string
	data *string
}

func addStoreFlags(fs *flag.FlagSet) storeFlags {
	return storeFlags{
		cfg:  fs.String("c", "", "configuration `file` (its data directory is used)"),
		data: fs.String("data", "", "data `directory` of serve (its data: setting), instead of -c"),
	}
}

// config returns the configuration the flags name: the file of -c, or for
// --data a production configuration whose data directory is it (and whose
// database is $DOCBRIDGE_DATABASE). It reads no key and opens nothing, so
// that a command can check its other arguments first.
func (f storeFlags) config() (*Config, error) {
	switch {
	case *f.data != "" && *f.cfg != "":
		return nil, usageErrorf("give -c or --data, not both")
	case *f.data != "":
		return &Config{Environment: "production", Data: *f.data, Database: os.Getenv("DOCBRIDGE_DATABASE")}, nil
	case *f.cfg != "":
		return loadConfig(*f.cfg)
	default:
		return nil, usageErrorf("-c FILE or --data DIR is required")
	}
}

// open opens the existing store named by --data, or by the configuration's
// data, with the token key when one is configured. It never creates a
// store: a directory without one is a usage error (exit 2) that says what
// to give instead.
func (f storeFlags) open(ctx context.Context) (*store.Store, *Config, error) {
	cfg, err := f.config()
	if err != nil {
		return nil, nil, err
	}
	st, err := openExisting(ctx, cfg, true)
	return st, cfg, err
}

// openExisting opens the existing store of cfg, with its token key when
// withKey and one is configured. A command that only reads documents
// works without the key; reading encrypted tokens then fails with
// store.ErrNoTokenKey.
func openExisting(ctx context.Context, cfg *Config, withKey bool) (*store.Store, error) {
	var key []byte
	if withKey {
		var err error
		if key, err = loadTokenKey(cfg.Security); err != nil {
			return nil, err
		}
	}
	st, err := store.OpenExisting(ctx, store.Options{Dir: cfg.Data, Postgres: cfg.Database, TokenKey: key})
	if errors.Is(err, store.ErrNoStore) {
		return nil, usageErrorf("%v: give the data directory of serve (data: in its configuration) or -c FILE", err)
	}
	return st, err
}
