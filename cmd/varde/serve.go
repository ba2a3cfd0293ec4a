package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/collector"
	"github.com/varde/varde/collector/demo"
	"github.com/varde/varde/internal/httpapi"
)

type serveConfig struct {
	store           storeFlags
	listen          string
	dashboardListen string
	geoip           string
	trustedProxies  string
	demo            bool
	shutdownTimeout time.Duration
}

func runServe(ctx context.Context, args []string, env ioEnv) error {
	var cfg serveConfig
	f := newFlags("serve", "varde serve [flags]\n\nRuns the collector (script, banner, consent, beacons) and the dashboard. Applies migrations at start. Stops gracefully on SIGTERM or SIGINT.")
	cfg.store.register(f)
	f.StringVar(&cfg.listen, "listen", ":8080", "address of the public collector listener")
	f.StringVar(&cfg.dashboardListen, "dashboard-listen", "", "address of a separate dashboard and stats API listener (empty: the collector's)")
	f.StringVar(&cfg.geoip, "geoip", "", "MaxMind-format City or Country database (empty: locations unknown)")
	f.StringVar(&cfg.trustedProxies, "trusted-proxies", "", "comma-separated CIDRs of proxies whose X-Forwarded-For is believed")
	f.BoolVar(&cfg.demo, "demo", false, "serve a sample page at /demo for the site "+demo.Site+", created if missing")
	f.Var(durationValue(&cfg.shutdownTimeout, 20*time.Second), "shutdown-timeout", "how long a graceful stop may take")
	rest, err := parseFlags(f, args, env)
	if err != nil {
		return err
	}
	if err := wantArgs(rest, 0, "no arguments"); err != nil {
		return err
	}
	return serve(ctx, cfg, env)
}

func serve(ctx context.Context, cfg serveConfig, env ioEnv) error {
	log := env.logger()
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	st, err := cfg.store.open(ctx, log)
	if err != nil {
		return err
	}
	defer st.Close()
	log.Info("store open", "backend", st.Backend())

	if cfg.demo {
		if err := ensureDemoSite(ctx, aggregator.Sites{Store: st}, log); err != nil {
			return err
		}
	}

	col := collector.New(collector.Options{Log: log, Ready: st.Ping, Demo: cfg.demo})
	public := httpapi.NewApp(log)
	col.Register(public)

	apps := []*fiber.App{public}
	listeners := []string{cfg.listen}
	if cfg.dashboardListen != "" {
		dash := httpapi.NewApp(log)
		dash.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
		apps = append(apps, dash)
		listeners = append(listeners, cfg.dashboardListen)
	}

	errc := make(chan error, len(apps))
	for i, app := range apps {
		ln, err := net.Listen("tcp", listeners[i])
		if err != nil {
			return fmt.Errorf("listen on %s: %w", listeners[i], err)
		}
		url := "http://" + displayAddr(ln.Addr())
		log.Info("listening", "url", url)
		if i == 0 {
			fmt.Fprintf(env.stdout, "Varde is running at %s (health: %s/healthz)\n", url, url)
			if cfg.demo {
				fmt.Fprintf(env.stdout, "Demo page: %s/demo\n", url)
			}
		}
		go func() { errc <- app.Listener(ln) }()
	}

	select {
	case <-ctx.Done():
		log.Info("stopping")
	case err := <-errc:
		return fmt.Errorf("listener stopped: %w", err)
	}
	var errs []error
	for _, app := range apps {
		if err := app.ShutdownWithTimeout(cfg.shutdownTimeout); err != nil {
			errs = append(errs, err)
		}
	}
	log.Info("stopped")
	return errors.Join(errs...)
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
