// Package node assembles one Varde node: the collector and the dashboard
// on their listeners, the writer, and the background jobs (sessionizer,
// salts, site and key reloads, retention), started together and stopped
// together, the writer last so that every accepted event is stored.
// `varde serve` runs one; end-to-end tests run them in-process, with a
// clock of their own.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/rollup"
	"github.com/varde/varde/aggregator/sessions"
	"github.com/varde/varde/aggregator/stats"
	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/aggregator/writer"
	"github.com/varde/varde/collector"
	"github.com/varde/varde/collector/clientip"
	"github.com/varde/varde/collector/geo"
	"github.com/varde/varde/collector/useragent"
	"github.com/varde/varde/consent"
	"github.com/varde/varde/dashboard"
	"github.com/varde/varde/dashboard/statsapi"
	"github.com/varde/varde/internal/httpapi"
)

// Config of a node. Zero values get the defaults stated.
type Config struct {
	// Store is the migrated store; Read the aggregates database alone (the
	// read side's). Both required.
	Store, Read store.Store
	// DataDir holds the write-ahead spool (DataDir/spool). Required.
	DataDir string
	// SeparateDashboard serves the dashboard, the stats API and /metrics
	// on an app of their own (a second listener).
	SeparateDashboard bool
	// GeoIP is a MaxMind-format database; empty: locations unknown.
	GeoIP   string
	Trusted *clientip.Trusted
	// ConsentKeys sign tokens (the first) when given; else keys kept in
	// the store.
	ConsentKeys   []consent.Key
	Demo          bool
	SecureCookies bool
	// The writer's batches and spool; see writer.Options for defaults.
	FlushRows     int
	FlushInterval time.Duration
	SpoolBytes    int64
	// Per-address API rate; see collector.Options for defaults.
	RatePerSecond float64
	Burst         int
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Log is the node's logger. Default: discard.
	Log *slog.Logger
	// Sessions tunes the sessionizer (Now and Log are the node's).
	Sessions sessions.Options
}

// Node is a running Varde node's parts.
type Node struct {
	cfg Config
	log *slog.Logger
	// Public serves the collector; Dashboard the dashboard, the stats API
	// and /metrics (the same app unless SeparateDashboard).
	Public, Dashboard *fiber.App
	Collector         *collector.Server
	Writer            *writer.Writer
	Sessionizer       *sessions.Sessionizer
	Stats             *stats.Engine
	Sites             *aggregator.SiteCache
	Salts             *aggregator.SaltKeeper
	// DemoLogin says how to sign in to a demo created at this start.
	DemoLogin string

	resolver *geo.Resolver
	consents *aggregator.ConsentBatcher
	verifier *consent.Verifier
	keyIDs   []string

	stopJobs   context.CancelFunc
	jobs       sync.WaitGroup
	writerDone chan error
	apps       []*fiber.App
	served     chan error
}

// New builds a node; Start runs it.
func New(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Store == nil || cfg.Read == nil || cfg.DataDir == "" {
		return nil, errors.New("node: a store, a read store and a data directory are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Trusted == nil {
		cfg.Trusted, _ = clientip.ParseTrusted("")
	}
	log, st := cfg.Log, cfg.Store
	n := &Node{cfg: cfg, log: log}

	sites := aggregator.Sites{Store: st}
	if cfg.Demo {
		if err := ensureDemoSite(ctx, sites, log); err != nil {
			return nil, err
		}
		login, err := ensureDemoAdmin(ctx, aggregator.Users{Store: st}, log)
		if err != nil {
			return nil, err
		}
		n.DemoLogin = login
	}
	n.Sites = aggregator.NewSiteCache(sites, log)
	if err := n.Sites.Reload(ctx); err != nil {
		return nil, err
	}
	n.Salts = aggregator.NewSaltKeeper(st, log)
	if err := n.Salts.Maintain(ctx, cfg.Now()); err != nil {
		return nil, err
	}
	ring, keyIDs, err := aggregator.ConsentKeys{Store: st}.Keyring(ctx, cfg.ConsentKeys)
	if err != nil {
		return nil, err
	}
	n.keyIDs = keyIDs
	revoked := &consent.RevocationCache{}
	n.verifier = consent.NewVerifier(ring, revoked)

	resolver, err := geo.Open(cfg.GeoIP)
	if err != nil {
		log.Warn("locations will be unknown", "err", err)
	}
	n.resolver = resolver
	agents, err := useragent.New(useragent.Options{})
	if err != nil {
		return nil, err
	}

	so := cfg.Sessions
	so.Now, so.Log = cfg.Now, log
	n.Sessionizer = sessions.New(st, so)
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	n.Writer, err = writer.New(writer.Options{
		Store: st, Dir: filepath.Join(cfg.DataDir, "spool"), Logger: log, Registerer: registry,
		FlushRows: cfg.FlushRows, FlushInterval: cfg.FlushInterval, SpoolBytes: cfg.SpoolBytes,
		// The sessionizer folds this node's inserts in without reading them
		// back, when this node holds its lease.
		Inserted: n.Sessionizer.Offer,
	})
	if err != nil {
		return nil, err
	}
	n.Stats = stats.New(cfg.Read)

	n.consents = aggregator.NewConsentBatcher(aggregator.ConsentRecords{Store: st})
	n.Collector = collector.New(collector.Options{
		Log: log, Ready: st.Ping, Demo: cfg.Demo, Sites: n.Sites, Sink: n.Writer,
		Consents: n.consents, Salts: n.Salts,
		Verifier: n.verifier, Revoked: revoked, Geo: resolver, Agents: agents, Trusted: cfg.Trusted,
		Now: cfg.Now, Metrics: registry, RatePerSecond: cfg.RatePerSecond, Burst: cfg.Burst,
	})
	n.Public = httpapi.NewApp(log)
	n.Collector.Register(n.Public)
	n.Dashboard = n.Public
	if cfg.SeparateDashboard {
		n.Dashboard = httpapi.NewApp(log)
		n.Collector.RegisterHealth(n.Dashboard)
	}
	n.Dashboard.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(registry, promhttp.HandlerOpts{})))
	board := dashboard.New(dashboard.Options{
		Store: st, Stats: n.Stats, Log: log, Now: cfg.Now, Secure: cfg.SecureCookies,
		ClientIP: func(c *fiber.Ctx) string { return n.Collector.ClientIP(c).String() },
	})
	statsapi.New(statsapi.Options{
		Engine: n.Stats, Sites: sites, Keys: aggregator.APIKeys{Store: st}, Log: log, Now: cfg.Now,
		SessionSite: board.SessionSite,
	}).Register(n.Dashboard)
	board.Register(n.Dashboard)
	return n, nil
}

// Start runs the background jobs and serves the public app on public and,
// with SeparateDashboard, the dashboard on dash.
func (n *Node) Start(public, dash net.Listener) {
	jobs, stop := context.WithCancel(context.Background())
	n.stopJobs = stop
	n.writerDone = make(chan error, 1)
	go func() { n.writerDone <- n.Writer.Run(jobs) }()
	cfg, st, log := n.cfg, n.cfg.Store, n.log
	for _, job := range []func(context.Context){
		n.Collector.Run,
		n.consents.Run,
		func(ctx context.Context) { n.Sites.Run(ctx, 5*time.Second) },
		func(ctx context.Context) { n.Salts.Run(ctx, time.Minute, cfg.Now) },
		n.refreshKeys,
		func(ctx context.Context) {
			retention := aggregator.Retention{Store: st, Log: log}
			every(ctx, time.Hour, func() error { _, err := retention.Run(ctx, cfg.Now()); return err }, "retention", log)
		},
		func(ctx context.Context) { n.Sessionizer.Run(ctx) },
		func(ctx context.Context) {
			// Every node closes days: closing one twice writes the same rows.
			closer := rollup.Closer{Store: st, Log: log}
			every(ctx, 10*time.Minute, func() error { _, err := closer.Run(ctx, cfg.Now()); return err }, "closing days", log)
		},
	} {
		n.jobs.Add(1)
		go func() { defer n.jobs.Done(); job(jobs) }()
	}
	n.served = make(chan error, 2)
	n.apps = []*fiber.App{n.Public}
	go func() { n.served <- n.Public.Listener(public) }()
	if n.Dashboard != n.Public {
		n.apps = append(n.apps, n.Dashboard)
		go func() { n.served <- n.Dashboard.Listener(dash) }()
	}
}

// Served reports a listener that stopped on its own.
func (n *Node) Served() <-chan error { return n.served }

// Stop stops the listeners, stores every accepted event (with a fresh
// context bounded by timeout: the caller's may be done), and stops the
// jobs. What cannot be stored stays in the spool for the next start.
func (n *Node) Stop(timeout time.Duration) error {
	var errs []error
	for _, app := range n.apps {
		if err := app.ShutdownWithTimeout(timeout); err != nil {
			errs = append(errs, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := n.Writer.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("storing the spool: %w (what is left stays on disk for the next start)", err))
	}
	n.stopJobs()
	<-n.writerDone
	n.jobs.Wait()
	n.resolver.Close()
	return errors.Join(errs...)
}

// refreshKeys picks up consent keys added on other nodes (a rotation).
func (n *Node) refreshKeys(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ring, ids, err := aggregator.ConsentKeys{Store: n.cfg.Store}.Keyring(ctx, n.cfg.ConsentKeys)
		if err != nil {
			n.log.Warn("reloading consent keys failed", "err", err)
			continue
		}
		if !slices.Equal(n.keyIDs, ids) {
			n.verifier.SetKeyring(ring)
			n.keyIDs = ids
			n.log.Info("consent keys changed", "signing", ids[0], "keys", len(ids))
		}
	}
}

// every runs job at start and then every interval until ctx is done; a
// failure is logged and retried at the next turn.
func every(ctx context.Context, interval time.Duration, job func() error, name string, log *slog.Logger) {
	for {
		if err := job(); err != nil && ctx.Err() == nil {
			log.Warn(name+" failed; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
