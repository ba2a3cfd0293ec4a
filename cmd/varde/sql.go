package main

import (
	"context"
	"io"
	"strings"

	"github.com/varde/varde/aggregator/store"
)

func runSQL(ctx context.Context, args []string, env ioEnv) error {
	var sf storeFlags
	f := newFlags("sql", "varde sql [flags] 'SELECT ...'\n\nRuns one statement on the store and prints its rows as TSV. `-` reads the statement from stdin.")
	sf.register(f)
	rest, err := parseFlags(f, args, env)
	if err != nil {
		return err
	}
	if err := wantArgs(rest, 1, "one SQL statement"); err != nil {
		return err
	}
	query := rest[0]
	if query == "-" {
		b, err := io.ReadAll(env.stdin)
		if err != nil {
			return err
		}
		query = string(b)
	}
	query = strings.TrimSuffix(strings.TrimSpace(query), ";")
	st, err := store.Open(ctx, store.Options{URL: sf.url, DataDir: sf.data, LibPath: sf.lib})
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := st.Query(ctx, query)
	if err != nil {
		return err
	}
	return rows.WriteTSV(env.stdout)
}
