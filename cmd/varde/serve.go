package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/sessions"
	"github.com/varde/varde/aggregator/stats"
	"github.com/varde/varde/aggregator/writer"
	"github.com/varde/varde/collector"
	"github.com/varde/varde/collector/clientip"
	"github.com/varde/varde/collector/demo"
	"github.com/varde/varde/collector/geo"
	"github.com/varde/varde/collector/useragent"
	"github.com/varde/varde/consent"
	"github.com/varde/varde/dashboard"
	"github.com/varde/varde/dashboard/auth"
	"github.com/varde/varde/dashboard/statsapi"
	"github.com/varde/varde/internal/httpapi"
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
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	st, err := cfg.store.open(ctx, log)
	if err != nil {
		return err
	}
	defer st.Close()
	log.Info("store open", "backend", st.Backend())

	sites := aggregator.Sites{Store: st}
	var demoLogin string
	if cfg.demo {
		if err := ensureDemoSite(ctx, sites, log); err != nil {
			return err
		}
		if demoLogin, err = ensureDemoAdmin(ctx, aggregator.Users{Store: st}, log); err != nil {
			return err
		}
	}
	siteCache := aggregator.NewSiteCache(sites, log)
	if err := siteCache.Reload(ctx); err != nil {
		return err
	}
	salts := aggregator.NewSaltKeeper(st, log)
	if err := salts.Maintain(ctx, time.Now()); err != nil {
		return err
	}
	consentKeys := aggregator.ConsentKeys{Store: st}
	ring, keyIDs, err := consentKeys.Keyring(ctx, configuredKeys)
	if err != nil {
		return err
	}
	revoked := &consent.RevocationCache{}
	verifier := consent.NewVerifier(ring, revoked)

	resolver, err := geo.Open(cfg.geoip)
	if err != nil {
		log.Warn("locations will be unknown", "err", err)
	}
	defer resolver.Close()
	agents, err := useragent.New(useragent.Options{})
	if err != nil {
		return err
	}

	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	w, err := writer.New(writer.Options{
		Store: st, Dir: filepath.Join(cfg.store.data, "spool"), Logger: log, Registerer: registry,
		FlushRows: cfg.flushRows, FlushInterval: cfg.flushInterval, SpoolBytes: int64(cfg.spoolMB) << 20,
	})
	if err != nil {
		return err
	}

	read, err := cfg.store.openRead(ctx, st)
	if err != nil {
		return err
	}
	defer read.Close()
	engine := stats.New(read)
	sessionizer := sessions.New(st, sessions.Options{Log: log})

	consents := aggregator.NewConsentBatcher(aggregator.ConsentRecords{Store: st})
	col := collector.New(collector.Options{
		Log: log, Ready: st.Ping, Demo: cfg.demo, Sites: siteCache, Sink: w,
		Consents: consents, Salts: salts,
		Verifier: verifier, Revoked: revoked, Geo: resolver, Agents: agents, Trusted: trusted,
		Metrics: registry, RatePerSecond: cfg.rate, Burst: cfg.burst,
	})
	public := httpapi.NewApp(log)
	col.Register(public)
	dash := public
	if cfg.dashboardListen != "" {
		dash = httpapi.NewApp(log)
		dash.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	}
	dash.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(registry, promhttp.HandlerOpts{})))
	board := dashboard.New(dashboard.Options{
		Store: st, Stats: engine, Log: log, Secure: cfg.secureCookies,
		ClientIP: func(c *fiber.Ctx) string { return col.ClientIP(c).String() },
	})
	statsapi.New(statsapi.Options{
		Engine: engine, Sites: sites, Keys: aggregator.APIKeys{Store: st}, Log: log,
		SessionSite: board.SessionSite,
	}).Register(dash)
	board.Register(dash)

	// Background work stops with jobs; the writer stops last, after the
	// listeners, so that every accepted event is stored.
	jobs, stopJobs := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	goJob := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(jobs) }()
	}
	writerDone := make(chan error, 1)
	go func() { writerDone <- w.Run(jobs) }()
	goJob(col.Run)
	goJob(consents.Run)
	goJob(func(ctx context.Context) { siteCache.Run(ctx, 5*time.Second) })
	goJob(func(ctx context.Context) { salts.Run(ctx, time.Minute, time.Now) })
	goJob(func(ctx context.Context) { refreshKeys(ctx, consentKeys, configuredKeys, verifier, keyIDs, log) })
	goJob(func(ctx context.Context) { retainEveryHour(ctx, aggregator.Retention{Store: st, Log: log}, log) })
	goJob(func(ctx context.Context) {
		sessionizer.Run(ctx)
		// Hand the lease over at once rather than after it expires.
		releaseCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		sessionizer.Release(releaseCtx)
	})

	apps := []*fiber.App{public}
	listeners := []string{cfg.listen}
	if dash != public {
		apps = append(apps, dash)
		listeners = append(listeners, cfg.dashboardListen)
	}
	errc := make(chan error, len(apps))
	for i, app := range apps {
		ln, err := net.Listen("tcp", listeners[i])
		if err != nil {
			stopJobs()
			return fmt.Errorf("listen on %s: %w", listeners[i], err)
		}
		url := "http://" + displayAddr(ln.Addr())
		log.Info("listening", "url", url)
		if i == 0 {
			fmt.Fprintf(env.stdout, "Varde is running at %s (health: %s/healthz)\n", url, url)
			if cfg.demo {
				fmt.Fprintf(env.stdout, "Demo page: %s/demo\n", url)
			}
			if dash == public {
				fmt.Fprintf(env.stdout, "Dashboard: %s/dashboard%s\n", url, demoLogin)
			}
		}
		go func() { errc <- app.Listener(ln) }()
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("stopping")
	case runErr = <-errc:
		runErr = fmt.Errorf("listener stopped: %w", runErr)
	}
	var errs []error
	for _, app := range apps {
		if err := app.ShutdownWithTimeout(cfg.shutdownTimeout); err != nil {
			errs = append(errs, err)
		}
	}
	// The last flush gets a fresh context: the signal's is already done.
	flushCtx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := w.Close(flushCtx); err != nil {
		errs = append(errs, fmt.Errorf("storing the spool: %w (what is left stays on disk for the next start)", err))
	}
	stopJobs()
	<-writerDone
	wg.Wait()
	log.Info("stopped")
	return errors.Join(append([]error{runErr}, errs...)...)
}

// refreshKeys picks up consent keys added on other nodes (a rotation).
func refreshKeys(ctx context.Context, keys aggregator.ConsentKeys, configured []consent.Key, v *consent.Verifier, ids []string, log *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ring, newIDs, err := keys.Keyring(ctx, configured)
		if err != nil {
			log.Warn("reloading consent keys failed", "err", err)
			continue
		}
		if !slices.Equal(ids, newIDs) {
			v.SetKeyring(ring)
			ids = newIDs
			log.Info("consent keys changed", "signing", newIDs[0], "keys", len(newIDs))
		}
	}
}

// retainEveryHour applies retention at start and then every hour.
func retainEveryHour(ctx context.Context, r aggregator.Retention, log *slog.Logger) {
	for {
		if _, err := r.Run(ctx, time.Now()); err != nil && ctx.Err() == nil {
			log.Warn("retention failed; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
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

// ensureDemoAdmin creates an admin account when there is none, so that a
// newcomer can open the dashboard, and says how to sign in: the generated
// password is shown this once.
func ensureDemoAdmin(ctx context.Context, users aggregator.Users, log *slog.Logger) (string, error) {
	all, err := users.List(ctx)
	if err != nil || len(all) > 0 {
		return "", err
	}
	secret := make([]byte, 9)
	rand.Read(secret)
	password := base64.RawURLEncoding.EncodeToString(secret)
	hash, err := auth.HashPassword(password)
	if err != nil {
		return "", err
	}
	const email = "admin@demo.localhost"
	if err := users.Put(ctx, aggregator.User{Email: email, PasswordHash: hash, Role: aggregator.RoleAdmin}); err != nil {
		return "", err
	}
	log.Info("created a demo admin account", "email", email)
	return fmt.Sprintf(" (sign in as %s with password %s, shown only now)", email, password), nil
}

func ensureDemoSite(ctx context.Context, sites aggregator.Sites, log *slog.Logger) error {
	if _, err := sites.Get(ctx, demo.Site); err == nil {
		return nil
	} else if !errors.Is(err, aggregator.ErrNotFound) {
		return err
	}
	site := aggregator.NewSite(demo.Site)
	site.Name = "Fjordbemanning (demo)"
	site.Timezone = "Europe/Oslo"
	site.K = 1
	if err := sites.Put(ctx, site); err != nil {
		return err
	}
	log.Info("created the demo site", "site", demo.Site)
	return nil
}
