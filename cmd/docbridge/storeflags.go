package main

import (
	"context"
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
		data: fs.String("data", "", "data `directory` (instead of -c)"),
	}
}

// open opens the store named by --data, or by the configuration's data.
func (f storeFlags) open(ctx context.Context) (*store.Store, *Config, error) {
	cfg := &Config{Environment: "production"}
	switch {
	case *f.data != "" && *f.cfg != "":
		return nil, nil, usageErrorf("give -c or --data, not both")
	case *f.data != "":
		cfg.Data = *f.data
		cfg.Database = os.Getenv("DOCBRIDGE_DATABASE")
	case *f.cfg != "":
		var err error
		if cfg, err = loadConfig(*f.cfg); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, usageErrorf("-c FILE or --data DIR is required")
	}
	// The token key: from the configuration's security section, or for
	// --data from the default environment variable. A command that only
	// reads documents works without it; reading encrypted tokens then
	// fails with store.ErrNoTokenKey.
	key, err := loadTokenKey(cfg.Security)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, store.Options{Dir: cfg.Data, Postgres: cfg.Database, TokenKey: key})
	return st, cfg, err
}
