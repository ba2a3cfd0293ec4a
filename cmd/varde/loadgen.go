package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/varde/varde/internal/loadgen"
)

func runLoadgen(ctx context.Context, args []string, env ioEnv) error {
	var o loadgen.Options
	var allowRemote bool
	f := newFlags("loadgen", "varde loadgen --target URL --site DOMAIN --rate N --duration D\n\nSends realistic consented traffic to a collector: visitors with their own addresses (via X-Forwarded-For, so start the collector with --trusted-proxies for this host) and browsers accept statistics, then send pageviews over Zipf-distributed pages. Prints what came back and the latency (measured from when each request was due).")
	f.StringVar(&o.Target, "target", "http://127.0.0.1:8080", "the collector's base URL")
	f.StringVar(&o.Site, "site", "", "the site to send events for (required)")
	f.Float64Var(&o.Rate, "rate", 1000, "requests per second; 0 sends as fast as the collector answers")
	f.Var(durationValue(&o.Duration, 10*time.Second), "duration", "how long to send")
	f.IntVar(&o.Requests, "requests", 0, "stop after this many requests (0: by duration)")
	f.IntVar(&o.Visitors, "visitors", 2000, "visitors who give consent first; each visit then comes from a new visitor with one of their tokens")
	f.IntVar(&o.Concurrency, "concurrency", 64, "connections")
	f.BoolVar(&allowRemote, "allow-remote", false, "allow a target that is not a loopback address")
	rest, err := parseFlags(f, args, env)
	if err != nil {
		return err
	}
	if err := wantArgs(rest, 0, "no arguments"); err != nil {
		return err
	}
	if o.Site == "" {
		return usageError{errors.New("--site is required")}
	}
	u, err := url.Parse(o.Target)
	if err != nil || u.Hostname() == "" {
		return usageError{fmt.Errorf("--target %q is not a URL", o.Target)}
	}
	if ip := net.ParseIP(u.Hostname()); !allowRemote && (ip == nil || !ip.IsLoopback()) && u.Hostname() != "localhost" {
		return usageError{fmt.Errorf("--target %s is not a loopback address; load tests stay on this machine unless --allow-remote", u.Hostname())}
	}
	res, err := loadgen.Run(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, res)
	return nil
}
