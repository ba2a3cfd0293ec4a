package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/varde/varde/collector/clientip"
	"github.com/varde/varde/collector/demo"
	"github.com/varde/varde/consent"
	"github.com/varde/varde/internal/node"
)

type serveConfig struct {
	store           storeFlags
	listen          string
	dashboardListen string
	geoip           string
	trustedProxies  string
	consentKeys     string
	demo            bool
	shutdownTimeout time.Duration
	flushRows       int
	flushInterval   time.Duration
	spoolMB         int
	rate            float64
	burst           int
	secureCookies   bool
}

func runServe(ctx context.Context, args []string, env ioEnv) error {
	var cfg serveConfig
	f := newFlags("serve", "varde serve [flags]\n\nRuns the collector (script, banner, consent, beacons) and the dashboard. Applies migrations at start. Stops gracefully on SIGTERM or SIGINT, storing every accepted event first.")
	cfg.store.register(f)
	f.StringVar(&cfg.listen, "listen", ":8080", "address of the public collector listener")
	f.StringVar(&cfg.dashboardListen, "dashboard-listen", "", "address of a separate dashboard, stats API and /metrics listener (empty: the collector's)")
	f.StringVar(&cfg.geoip, "geoip", "", "MaxMind-format City or Country database (empty: locations unknown)")
	f.StringVar(&cfg.trustedProxies, "trusted-proxies", "", "comma-separated CIDRs of proxies whose X-Forwarded-For is believed")
	f.StringVar(&cfg.consentKeys, "consent-keys", "", "consent token keys as id:base64secret,... (the first signs); empty: keys generated and kept in the store")
	f.BoolVar(&cfg.demo, "demo", false, "serve a sample page at /demo for the site "+demo.Site+", created if missing")
	f.Var(durationValue(&cfg.shutdownTimeout, 30*time.Second), "shutdown-timeout", "how long a graceful stop may take, storing what is in the spool")
	f.IntVar(&cfg.flushRows, "flush-rows", 10000, "insert a batch of events once it holds this many")
	f.Var(durationValue(&cfg.flushInterval, time.Second), "flush-interval", "insert a batch at most this long after its first event")
	f.IntVar(&cfg.spoolMB, "spool-mb", 256, "disk space for events awaiting the store; beyond it beacons get 503")
	f.StringVar(&cfg.store.read, "read-store", "", "the dashboard and stats API's store: a server user that may read only the aggregates database, e.g. clickhouse://varde_reader:pass@host:9000/varde_agg (empty: --store's user on that database)")
	f.BoolVar(&cfg.secureCookies, "secure-cookies", false, "mark dashboard cookies Secure: set it when the dashboard is served over HTTPS")
	f.Float64Var(&cfg.rate, "rate-limit", 20, "API requests per second allowed from one client address")
	f.IntVar(&cfg.burst, "rate-burst", 100, "burst of API requests allowed from one client address")
	rest, err := parseFlags(f, args, env)
	if err != nil {
		return err
	}
	if err := wantArgs(rest, 0, "no arguments"); err != nil {
		return err
	}
	var problems []string
	trusted, err := clientip.ParseTrusted(cfg.trustedProxies)
	if err != nil {
		problems = append(problems, "--trusted-proxies: "+err.Error())
	}
	var keys []consent.Key
	if cfg.consentKeys != "" {
		if keys, err = consent.ParseKeys(cfg.consentKeys); err != nil {
			problems = append(problems, "--consent-keys: "+err.Error())
		}
	}
	if len(problems) > 0 {
		return usageError{errors.New(strings.Join(problems, "\n"))}
	}
	return serve(ctx, cfg, trusted, keys, env)
}

func serve(ctx context.Context, cfg serveConfig, trusted *clientip.Trusted, configuredKeys []consent.Key, env ioEnv) error {
	log := env.logger()
	if procs, ok := node.Processors(runtime.GOMAXPROCS(0), env.getenv("GOMAXPROCS") != ""); ok {
		runtime.GOMAXPROCS(procs)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	st, err := cfg.store.open(ctx, log)
	if err != nil {
		return err
	}
	defer st.Close()
	read, err := cfg.store.openRead(ctx, st)
	if err != nil {
		return err
	}
	defer read.Close()
	log.Info("store open", "backend", st.Backend())

	n, err := node.New(ctx, node.Config{
		Store: st, Read: read, DataDir: cfg.store.data, SeparateDashboard: cfg.dashboardListen != "",
		GeoIP: cfg.geoip, Trusted: trusted, ConsentKeys: configuredKeys, Demo: cfg.demo,
		SecureCookies: cfg.secureCookies, FlushRows: cfg.flushRows, FlushInterval: cfg.flushInterval,
		SpoolBytes: int64(cfg.spoolMB) << 20, RatePerSecond: cfg.rate, Burst: cfg.burst, Log: log,
	})
	if err != nil {
		return err
	}
	public, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.listen, err)
	}
	var dash net.Listener
	if cfg.dashboardListen != "" {
		if dash, err = net.Listen("tcp", cfg.dashboardListen); err != nil {
			public.Close()
			return fmt.Errorf("listen on %s: %w", cfg.dashboardListen, err)
		}
	}
	n.Start(public, dash)
	url := "http://" + displayAddr(public.Addr())
	log.Info("listening", "url", url)
	fmt.Fprintf(env.stdout, "Varde is running at %s (health: %s/healthz)\n", url, url)
	if cfg.demo {
		fmt.Fprintf(env.stdout, "Demo page: %s/demo\n", url)
	}
	dashURL := url
	if dash != nil {
		dashURL = "http://" + displayAddr(dash.Addr())
	}
	fmt.Fprintf(env.stdout, "Dashboard: %s/dashboard\n", dashURL)
	if n.DemoLogin != "" {
		fmt.Fprintf(env.stdout, "  %s\n", n.DemoLogin)
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("stopping")
	case runErr = <-n.Served():
		runErr = fmt.Errorf("listener stopped: %w", runErr)
	}
	err = n.Stop(cfg.shutdownTimeout)
	log.Info("stopped")
	return errors.Join(runErr, err)
}

// displayAddr makes a listener's address clickable: 127.0.0.1 for an
// unspecified host.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + port
}
