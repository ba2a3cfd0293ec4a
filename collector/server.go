// Package collector is Varde's public HTTP surface: it serves the banner
// and tracker script, takes consent choices and pageview beacons, checks
// consent, enriches events (location, user agent, bots, referrer, UTM,
// visitor identity) and hands them to the writer. It never waits on
// ClickHouse on the request path, and it never stores or logs an IP address
// or a user agent.
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

	"github.com/varde/varde/collector/demo"
	"github.com/varde/varde/consent/web"
	"github.com/varde/varde/internal/httpapi"
)

// Options configure the collector.
type Options struct {
	Log *slog.Logger
	// Ready reports whether the store answers, for /readyz.
	Ready func(ctx context.Context) error
	// Demo serves the sample page under /demo.
	Demo bool
}

// Server is the collector's HTTP handlers.
type Server struct {
	log   *slog.Logger
	ready func(ctx context.Context) error
	demo  bool
}

// New builds the collector.
func New(opts Options) *Server {
	return &Server{log: opts.Log, ready: opts.Ready, demo: opts.Demo}
}

// Register adds the collector's routes to app.
func (s *Server) Register(app *fiber.App) {
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	app.Get("/varde.js", s.script)
	if s.demo {
		app.Get("/demo", s.demoPage)
		app.Get("/demo/*", s.demoPage)
	}
}

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		s.log.Warn("not ready: store does not answer", "err", err)
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
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
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
