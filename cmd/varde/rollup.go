package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/rollup"
	"github.com/varde/varde/aggregator/sessions"
)

func runRollup(ctx context.Context, args []string, env ioEnv) error {
	if len(args) == 0 || args[0] != "rebuild" {
		return usageError{errors.New("want a subcommand: rebuild")}
	}
	var sf storeFlags
	var site, from, to string
	f := newFlags("rollup rebuild", "varde rollup rebuild --site DOMAIN [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n\nRe-derives a site's visits and aggregates from the raw events still kept, for whole UTC days: after a schema change, or to repair. Days older than the site's retention have no raw events left and are not touched. The finished days among them are closed again (their breakdowns as plain counts, as serve does every 10 minutes).")
	sf.register(f)
	f.StringVar(&site, "site", "", "the site to rebuild (required)")
	f.StringVar(&from, "from", "", "first UTC day (default: the oldest day the site's retention keeps)")
	f.StringVar(&to, "to", "", "last UTC day (default: today)")
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
	today := time.Now().UTC().Truncate(24 * time.Hour)
	start, end := today.AddDate(0, 0, -s.RetentionDays), today
	if from != "" {
		if start, err = time.Parse(time.DateOnly, from); err != nil {
			return usageError{fmt.Errorf("--from %q is not a date like 2026-11-01", from)}
		}
	}
	if to != "" {
		if end, err = time.Parse(time.DateOnly, to); err != nil {
			return usageError{fmt.Errorf("--to %q is not a date like 2026-11-30", to)}
		}
	}
	if end.Before(start) {
		return usageError{errors.New("--to is before --from")}
	}
	sz := sessions.New(st, sessions.Options{Log: env.logger()})
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		sz.Release(c)
	}()
	bar := progressbar.NewOptions(100, progressbar.OptionSetWriter(env.stderr),
		progressbar.OptionSetDescription("rebuilding "+s.Domain), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
	res, err := rollup.Rebuild(ctx, st, sz, s.Domain, start, end, time.Now(), func(done, total int) {
		bar.ChangeMax(total)
		bar.Set(done)
	})
	bar.Finish()
	if errors.Is(err, sessions.ErrLeaseHeld) {
		return fmt.Errorf("a running varde serve holds the sessionizer's lease; stop it, or wait until it hands over: %w", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "rebuilt %s: %d days, %d visits, %d events\n", s.Domain, len(res.Days), res.Sessions, res.Events)
	return nil
}

func runRetention(ctx context.Context, args []string, env ioEnv) error {
	if len(args) == 0 || args[0] != "run" {
		return usageError{errors.New("want a subcommand: run")}
	}
	var sf storeFlags
	f := newFlags("retention run", "varde retention run\n\nDeletes now what Varde may no longer keep (serve does this every hour): raw events and visits past each site's retention, consent records past the consent retention, old revocations. Aggregates are kept.")
	sf.register(f)
	rest, err := parseFlags(f, args[1:], env)
	if err != nil {
		return err
	}
	if err := wantArgs(rest, 0, "no arguments"); err != nil {
		return err
	}
	st, err := sf.open(ctx, env.logger())
	if err != nil {
		return err
	}
	defer st.Close()
	dropped, err := aggregator.Retention{Store: st, Log: env.logger()}.Run(ctx, time.Now())
	for _, d := range dropped {
		fmt.Fprintf(env.stdout, "%s\t%s\t%s\t%d rows\n", d.Table, d.Site, d.Day, d.Rows)
	}
	if err != nil {
		return err
	}
	if len(dropped) == 0 {
		fmt.Fprintln(env.stdout, "nothing is past its retention")
	}
	return nil
}
