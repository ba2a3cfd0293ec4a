// Package collector is Varde's public HTTP surface: it serves the banner
// and tracker script, takes consent choices and pageview beacons, checks
// consent, enriches events (location, user agent, bots, referrer, UTM,
// visitor identity) and hands them to the writer. It never waits on
// ClickHouse on the beacon path, and it never stores or logs an IP address
// or a user agent: both are read from the request, used, and dropped.
package collector

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/collector/clientip"
	"github.com/varde/varde/collector/demo"
	"github.com/varde/varde/collector/geo"
	"github.com/varde/varde/collector/useragent"
	"github.com/varde/varde/consent"
	"github.com/varde/varde/consent/web"
	"github.com/varde/varde/internal/httpapi"
)

// Sites finds a site by domain without touching the store.
type Sites interface {
	Get(domain string) (aggregator.Site, bool)
}

// EventSink takes events durably: when Append returns nil the events will
// be stored. It returns ErrFull when it cannot take more for now.
type EventSink interface {
	Append(ctx context.Context, events ...aggregator.Event) error
}

// Consents keeps consent records and revocations.
type Consents interface {
	Put(ctx context.Context, rec consent.Record) error
	History(ctx context.Context, consentID string) ([]consent.Record, error)
	Erase(ctx context.Context, consentID string) error
	Revoke(ctx context.Context, rev consent.Revocation) error
	RevocationsSince(ctx context.Context, t time.Time) ([]consent.Revocation, error)
}

// Salts gives the daily salts of the visitor hash without touching the
// store.
type Salts interface {
	For(now time.Time) (today, previous []byte, ok bool)
}

// Options configure the collector. Zero values get the defaults stated.
type Options struct {
	Log *slog.Logger
	// Ready reports whether the store answers, for /readyz.
	Ready func(ctx context.Context) error
	// Demo serves the sample page under /demo.
	Demo     bool
	Sites    Sites
	Sink     EventSink
	Consents Consents
	Salts    Salts
	// Verifier checks and signs consent tokens; Revoked is the cache it
	// consults, which the collector fills from the store.
	Verifier *consent.Verifier
	Revoked  *consent.RevocationCache
	Geo      *geo.Resolver
	Agents   *useragent.Parser
	// Trusted are the proxies whose X-Forwarded-For is believed.
	Trusted *clientip.Trusted
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Metrics is where the collector's counters are registered.
	// Default: a private registry.
	Metrics prometheus.Registerer
	// RatePerSecond and Burst limit requests per client address to the
	// API. Default: 20 per second with bursts of 100, far above what a
	// person's browser sends, low enough to blunt a flood from one host.
	RatePerSecond float64
	Burst         int
}

// Server is the collector's HTTP handlers.
type Server struct {
	Options
	limiter *limiter
	metrics *metrics
}

// New builds the collector.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Metrics == nil {
		opts.Metrics = prometheus.NewRegistry()
	}
	if opts.RatePerSecond == 0 {
		opts.RatePerSecond = 20
	}
	if opts.Burst == 0 {
		opts.Burst = 100
	}
	if opts.Trusted == nil {
		opts.Trusted, _ = clientip.ParseTrusted("")
	}
	return &Server{
		Options: opts,
		limiter: newLimiter(opts.RatePerSecond, opts.Burst),
		metrics: newMetrics(opts.Metrics),
	}
}

// RegisterHealth adds /healthz and /readyz to app: the collector's
// listener has them, and so has a separate dashboard listener.
func (s *Server) RegisterHealth(app *fiber.App) {
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
}

// Register adds the collector's routes to app, health included.
func (s *Server) Register(app *fiber.App) {
	s.RegisterHealth(app)
	app.Get("/varde.js", s.script)
	api := app.Group("/api", cors)
	api.Get("/banner/:site", s.banner)
	api.Post("/consent", s.limit, s.postConsent)
	api.Get("/consent/:id", s.limit, s.getConsent)
	api.Delete("/consent/:id", s.limit, s.deleteConsent)
	api.Post("/event", s.limit, s.event)
	if s.Demo {
		app.Get("/demo", s.demoPage)
		app.Get("/demo/*", s.demoPage)
	}
}

// Run keeps the collector's in-memory state current until ctx ends:
// revocations from other nodes, and forgetting old rate-limit entries.
func (s *Server) Run(ctx context.Context) {
	go s.syncRevocations(ctx, time.Second)
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.limiter.forget(s.Now())
		}
	}
}

// cors lets pages on any site call the API: every endpoint is
// authenticated by the consent token the page sends, never by a cookie,
// so reflecting the origin exposes nothing.
func cors(c *fiber.Ctx) error {
	if origin := c.Get(fiber.HeaderOrigin); origin != "" {
		c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
		c.Set(fiber.HeaderAccessControlAllowCredentials, "true")
		c.Vary(fiber.HeaderOrigin)
	}
	if c.Method() == fiber.MethodOptions {
		c.Set(fiber.HeaderAccessControlAllowMethods, "GET, POST, DELETE, OPTIONS")
		c.Set(fiber.HeaderAccessControlAllowHeaders, "Authorization, Content-Type")
		c.Set(fiber.HeaderAccessControlMaxAge, "86400")
		return c.SendStatus(http.StatusNoContent)
	}
	return c.Next()
}

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		s.Log.Warn("not ready: store does not answer", "err", err)
		return c.Status(http.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "error": "the store does not answer"})
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

// script serves varde.js. Sites load it by a fixed URL, so it is cached for
// an hour and revalidated by ETag rather than cached forever.
func (s *Server) script(c *fiber.Ctx) error {
	c.Set(fiber.HeaderETag, web.ETag)
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600, stale-while-revalidate=86400")
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	c.Set("Cross-Origin-Resource-Policy", "cross-origin")
	c.Vary(fiber.HeaderAcceptEncoding)
	if c.Get(fiber.HeaderIfNoneMatch) == web.ETag {
		return c.SendStatus(http.StatusNotModified)
	}
	if strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(web.Gzipped)
	}
	return c.Send(web.Script)
}

// demoPage serves the sample page for every path under /demo (it routes on
// the client), and its assets by name.
func (s *Server) demoPage(c *fiber.Ctx) error {
	name := path.Base(c.Path())
	if strings.Contains(name, ".") {
		b, err := fs.ReadFile(demo.Files, name)
		if err != nil {
			return httpapi.Errorf(http.StatusNotFound, "no such file")
		}
		c.Type(path.Ext(name))
		return c.Send(b)
	}
	b, err := fs.ReadFile(demo.Files, "demo.html")
	if err != nil {
		return err
	}
	c.Type("html")
	return c.Send(b)
}
