package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/dashboard/auth"
)

func runAPIKey(ctx context.Context, args []string, env ioEnv) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError{errors.New("want a subcommand: add")}
	}
	var sf storeFlags
	var site, name string
	f := newFlags("apikey add", "varde apikey add --site DOMAIN [--name NAME]\n\nCreates a stats API key for one site. The key is printed once, alone on the last line; only a hash of it is stored.")
	sf.register(f)
	f.StringVar(&site, "site", "", "the site the key may query (required)")
	f.StringVar(&name, "name", "", "a note on what the key is for")
	rest, err := parseFlags(f, args[1:], env)
	if err != nil {
		return err
	}
	if err := wantArgs(rest, 0, "no arguments"); err != nil {
		return err
	}
	if site == "" {
		return usageError{errors.New("--site is required")}
	}
	st, err := sf.open(ctx, env.logger())
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := (aggregator.Sites{Store: st}).Get(ctx, site)
	if err != nil {
		return err
	}
	id, key, hash := auth.NewAPIKey()
	if err := (aggregator.APIKeys{Store: st}).Put(ctx, aggregator.APIKey{ID: id, Site: s.Domain, Name: name, SecretHash: hash}); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "created API key %s for %s; it is shown only now:\n%s\n", id, s.Domain, key)
	return nil
}
