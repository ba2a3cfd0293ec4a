// Package dashboard is the marketing-facing UI under /dashboard: sign-in
// and roles, the overview of a site (KPI tiles, chart, breakdowns, map,
// consent, realtime), CSV export, read-only shared links, each site's
// settings and the administration of sites, users and API keys.
//
// Every number it shows comes from the stats engine (aggregator/stats),
// which reads aggregate tables only and applies k-anonymity; the dashboard
// never reads event data itself. It writes SQL only for its own records,
// in package access.
//
// Sessions live in the store (table dashboard_sessions), so any varde node
// accepts a session another node created and a logout on one node ends it
// on all; a node trusts a session it has looked up for Options.SessionCache
// (5 s) before asking again. The cookie holds 256 random bits; the store
// keeps only their SHA-256. Cookies are HttpOnly, SameSite=Lax, and Secure
// when Options.Secure is set. A new session is made at every sign-in.
//
// CSRF: one middleware checks every request that is not GET or HEAD for
// the session's synchronizer token (form field _csrf or X-CSRF-Token);
// before sign-in, forms carry the token of a pre-session cookie instead.
//
// Sign-in: unknown accounts and wrong passwords get the same message, in
// about the same time. 5 failures within 15 minutes lock the account for
// 15 minutes, on every node (dashboard_login_attempts keeps a hash of the
// email tried, nothing about the client); 20 failures from one client lock
// that client out of this node for 15 minutes (kept in memory only).
//
// Logs: never an IP address or a user agent. Admin actions (users, sites,
// settings, keys, shared links) are logged with the acting admin's email
// and the account or site they changed, for audit; nothing else logs an
// email.
package dashboard

import (
	"html/template"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/dashboard/access"
)

// Options configure the dashboard. Zero fields take the defaults stated.
type Options struct {
	// Store holds sites, users, API keys and the dashboard's own records
	// (sessions, sign-in attempts, shared links). Required.
	Store store.Store
	// Stats answers every number on the pages. Required.
	Stats Stats
	// Log receives errors and the audit lines of admin actions.
	// Default: discard.
	Log *slog.Logger
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Secure marks cookies Secure: set it when the dashboard is reached over
	// HTTPS, directly or through a TLS-terminating proxy. Default: false.
	Secure bool
	// ClientIP names the client for the per-client sign-in limit, which is
	// kept in memory only (never stored or logged). Default: the TCP peer.
	ClientIP func(c *fiber.Ctx) string
	// SessionLifetime is how long a sign-in lasts. Default: 7 days.
	SessionLifetime time.Duration
	// SessionCache is how long a node trusts a session it has looked up
	// before asking the store again; a logout or revocation on another node
	// takes at most this long to reach this one. Default: 5 seconds.
	SessionCache time.Duration
	// PanelTimeout bounds each panel's queries; a panel that runs out shows
	// an error in place and the rest of the page still renders.
	// Default: 5 seconds.
	PanelTimeout time.Duration
	// Lockout locks an account after failed sign-ins, across nodes.
	// Default: access.DefaultLockout (5 failures in 15 minutes: 15 minutes).
	Lockout access.Lockout
	// ClientLockout limits failed sign-ins per client, per node.
	// Default: 20 failures in 15 minutes lock the client out for 15 minutes.
	ClientLockout access.Lockout
}

func (o *Options) fill() {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ClientIP == nil {
		o.ClientIP = func(c *fiber.Ctx) string { return c.IP() }
	}
	if o.SessionLifetime == 0 {
		o.SessionLifetime = 7 * 24 * time.Hour
	}
	if o.SessionCache == 0 {
		o.SessionCache = 5 * time.Second
	}
	if o.PanelTimeout == 0 {
		o.PanelTimeout = 5 * time.Second
	}
	if o.Lockout.Failures == 0 {
		o.Lockout = access.DefaultLockout
	}
	if o.ClientLockout.Failures == 0 {
		o.ClientLockout = access.Lockout{Failures: 20, Window: 15 * time.Minute, Duration: 15 * time.Minute}
	}
}

// Dashboard is the dashboard's handlers.
type Dashboard struct {
	opts     Options
	log      *slog.Logger
	stats    Stats
	sites    aggregator.Sites
	users    aggregator.Users
	keys     aggregator.APIKeys
	sessions access.Sessions
	attempts access.Attempts
	shares   access.Shares
	pages    map[string]*template.Template
	assets   *assets

	cache   *sessionCache // by session cookie secret
	clients *clientLimiter

	dummyOnce sync.Once
	dummyHash string
}

// New builds the dashboard. It panics if its embedded templates do not
// parse, which a test catches first.
func New(opts Options) *Dashboard {
	opts.fill()
	d := &Dashboard{
		opts:     opts,
		log:      opts.Log,
		stats:    opts.Stats,
		sites:    aggregator.Sites{Store: opts.Store},
		users:    aggregator.Users{Store: opts.Store},
		keys:     aggregator.APIKeys{Store: opts.Store},
		sessions: access.Sessions{Store: opts.Store},
		attempts: access.Attempts{Store: opts.Store},
		shares:   access.Shares{Store: opts.Store},
		assets:   loadAssets(),
		cache:    newSessionCache(opts.SessionCache, 4096),
		clients:  newClientLimiter(opts.ClientLockout),
	}
	d.pages = parseTemplates()
	return d
}

// Register adds the dashboard's routes under /dashboard to app.
func (d *Dashboard) Register(app *fiber.App) {
	g := app.Group("/dashboard", d.headers, compress.New(), d.identify, d.checkCSRF)
	g.Get("/assets/:name", d.asset)
	g.Get("/login", d.loginPage)
	g.Post("/login", d.login)
	g.Post("/logout", d.logout)
	g.Post("/lang", d.setLang)
	g.Get("/share/:token", d.sharedOverview)
	g.Get("/share/:token/export", d.sharedExport)

	g.Get("/", d.requireUser, d.siteList)
	admin := g.Group("/admin", d.requireUser, d.requireAdmin)
	admin.Get("/users", d.usersPage)
	admin.Post("/users", d.createUser)
	admin.Post("/users/update", d.updateUser)
	admin.Post("/users/delete", d.deleteUser)
	admin.Get("/sites", d.adminSitesPage)
	admin.Post("/sites", d.createSite)
	admin.Get("/keys", d.keysPage)
	admin.Post("/keys", d.createKey)
	admin.Post("/keys/revoke", d.revokeKey)

	g.Get("/:site", d.requireUser, d.overview)
	g.Get("/:site/export", d.requireUser, d.export)
	g.Get("/:site/settings", d.requireUser, d.settingsPage)
	g.Post("/:site/settings", d.requireUser, d.saveSettings)
	g.Post("/:site/shares", d.requireUser, d.createShare)
	g.Post("/:site/shares/revoke", d.requireUser, d.revokeShare)
	g.Use(d.notFound)
}
