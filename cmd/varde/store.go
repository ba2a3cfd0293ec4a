package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/store"
)

// storeFlags are the flags of every subcommand that touches the store.
type storeFlags struct {
	url, data, lib string
	// read is the read side's store (serve only).
	read string
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

// openRead opens the store the read side uses: the aggregates database
// alone. On a server, --read-store names a user that may read only that
// database; without it, the main store's user is used on it.
func (s *storeFlags) openRead(ctx context.Context, main store.Store) (store.Store, error) {
	agg, err := aggregator.AggregateDatabase(ctx, main)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var read store.Store
	switch {
	case s.read != "":
		read, err = store.Open(ctx, store.Options{URL: s.read, LibPath: s.lib})
	case main.Backend() == "embedded":
		read, err = store.Open(ctx, store.Options{URL: s.url, DataDir: s.data, LibPath: s.lib, Database: agg})
	default:
		u, perr := url.Parse(s.url)
		if perr != nil {
			return nil, perr
		}
		u.Path = "/" + agg
		read, err = store.Open(ctx, store.Options{URL: u.String()})
	}
	if err != nil {
		return nil, fmt.Errorf("read store: %w", err)
	}
	if got, err := aggregator.AggregateDatabase(ctx, read); err != nil || got != agg+aggregator.AggregateSuffix {
		read.Close()
		return nil, fmt.Errorf("read store: it must use the aggregates database %s (got %v)", agg, err)
	}
	return read, nil
}
