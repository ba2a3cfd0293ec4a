package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/store"
)

// storeFlags are the flags of every subcommand that touches the store.
type storeFlags struct {
	url, data, lib string
}

func (s *storeFlags) register(f *flags) {
	f.StringVar(&s.url, "store", "", "the store: chdb://DIR for the embedded engine, or clickhouse://user:pass@host:9000/db for a server (empty: embedded under --data)")
	f.StringVar(&s.data, "data", "./data", "directory for the embedded engine's files and the write-ahead spool")
	f.StringVar(&s.lib, "chdb-lib", "", "path of libchdb.so for the embedded engine (empty: $CHDB_LIB_PATH, else .cache/libchdb.so)")
}

// open connects to the store and brings its schema up to date.
func (s *storeFlags) open(ctx context.Context, log *slog.Logger) (store.Store, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	st, err := store.Open(ctx, store.Options{URL: s.url, DataDir: s.data, LibPath: s.lib})
	if err != nil {
		return nil, err
	}
	if _, err := aggregator.Migrate(ctx, st, log); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return st, nil
}
