package main

import (
	"context"
	"fmt"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/store"
)

func runMigrate(ctx context.Context, args []string, env ioEnv) error {
	var sf storeFlags
	f := newFlags("migrate", "varde migrate [flags]\n\nApplies the schema migrations the store has not seen yet. `serve` does this at start too.")
	sf.register(f)
	rest, err := parseFlags(f, args, env)
	if err != nil {
		return err
	}
	if err := wantArgs(rest, 0, "no arguments"); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	st, err := store.Open(ctx, store.Options{URL: sf.url, DataDir: sf.data, LibPath: sf.lib})
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := aggregator.Migrate(ctx, st, env.logger())
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(env.stdout, "schema is up to date (%s store)\n", st.Backend())
		return nil
	}
	fmt.Fprintf(env.stdout, "applied %d migrations (%s store)\n", len(applied), st.Backend())
	return nil
}
