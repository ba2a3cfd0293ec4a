// Package statsapi serves the stats API, POST /api/v2/query: Plausible's
// Stats API v2 request and answer, authenticated by a site's API key (or a
// dashboard session), rate-limited per key, answered by aggregator/stats
// from aggregate tables only.
package statsapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/stats"
	"github.com/varde/varde/dashboard/auth"
	"github.com/varde/varde/internal/httpapi"
)

// Options configure the handler.
type Options struct {
	// Engine answers the queries; required.
	Engine *stats.Engine
	// Sites and Keys are looked up on the store's own database; required.
	Sites aggregator.Sites
	Keys  aggregator.APIKeys
	// SessionSite, when set, lets a request without an API key through on
	// a dashboard session: authenticated tells whether the request has
	// one, allowed whether it may read site.
	SessionSite func(c *fiber.Ctx, site string) (allowed, authenticated bool)
	// RatePerHour is how many requests one API key may make in an hour,
	// refilled evenly (a token bucket). Default: 600, as Plausible.
	RatePerHour int
	// Burst is how many requests a key may make at once. Default: 60.
	Burst int
	// MaxBody caps the request body. Default: stats.MaxQueryBytes (64 KB).
	MaxBody int
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Log gets the causes of 5xx answers. Default: slog.Default().
	Log *slog.Logger
}

func (o *Options) fill() {
	if o.RatePerHour <= 0 {
		o.RatePerHour = 600
	}
	if o.Burst <= 0 {
		o.Burst = 60
	}
	if o.MaxBody <= 0 {
		o.MaxBody = stats.MaxQueryBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// Handler serves POST /api/v2/query.
type Handler struct {
	opts    Options
	limiter *limiter
}

// New is a handler with opts, defaults filled in.
func New(opts Options) *Handler {
	opts.fill()
	return &Handler{opts: opts, limiter: newLimiter(float64(opts.RatePerHour)/3600, float64(opts.Burst))}
}

// Register adds the route to r.
func (h *Handler) Register(r fiber.Router) {
	r.Post("/api/v2/query", h.query)
}

func (h *Handler) fail(c *fiber.Ctx, status int, format string, args ...any) error {
	return httpapi.Respond(c, h.opts.Log, httpapi.Errorf(status, fmt.Sprintf(format, args...)))
}

func (h *Handler) query(c *fiber.Ctx) error {
	ctx := c.UserContext()
	now := h.opts.Now()
	body := c.Body()
	if len(body) > h.opts.MaxBody {
		return h.fail(c, http.StatusRequestEntityTooLarge, "The query is larger than %d KB.", h.opts.MaxBody>>10)
	}
	header := c.Get(fiber.HeaderAuthorization)
	keySite := ""
	if header != "" {
		scheme, token, _ := strings.Cut(header, " ")
		id, secret, ok := auth.ParseAPIKey(strings.TrimSpace(token))
		if !strings.EqualFold(scheme, "Bearer") || !ok {
			return h.fail(c, http.StatusUnauthorized, "The API key is not valid: send the header Authorization: Bearer <key>, with the key as `varde apikey add` printed it.")
		}
		key, err := h.opts.Keys.Get(ctx, id)
		switch {
		case errors.Is(err, aggregator.ErrNotFound):
			return h.fail(c, http.StatusUnauthorized, "The API key is not known.")
		case err != nil:
			return httpapi.Respond(c, h.opts.Log, fmt.Errorf("statsapi: api key: %w", err))
		case !auth.CheckSecret(key.SecretHash, secret):
			return h.fail(c, http.StatusUnauthorized, "The API key is not known.")
		case key.Revoked:
			return h.fail(c, http.StatusUnauthorized, "This API key has been revoked; ask an admin for a new one.")
		}
		if wait := h.limiter.take(id, now); wait > 0 {
			secs := int((wait + time.Second - 1) / time.Second)
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
			return h.fail(c, http.StatusTooManyRequests, "Too many requests with this API key: at most %d an hour. Try again in %d seconds.", h.opts.RatePerHour, secs)
		}
		keySite = key.Site
	} else if h.opts.SessionSite == nil {
		return h.fail(c, http.StatusUnauthorized, "Missing API key: send the header Authorization: Bearer <key>.")
	}

	q, err := stats.ParseQuery(body)
	if err != nil {
		return h.fail(c, http.StatusBadRequest, "%s", err.Error())
	}
	domain := strings.ToLower(strings.TrimSpace(q.SiteID))
	if header != "" {
		if keySite != domain {
			return h.fail(c, http.StatusForbidden, "This API key is for another site, not %s.", domain)
		}
	} else {
		allowed, authenticated := h.opts.SessionSite(c, domain)
		if !authenticated {
			return h.fail(c, http.StatusUnauthorized, "Log in to the dashboard, or send the header Authorization: Bearer <key>.")
		}
		if !allowed {
			return h.fail(c, http.StatusForbidden, "Your account has no access to %s.", domain)
		}
	}
	site, err := h.opts.Sites.Get(ctx, domain)
	if errors.Is(err, aggregator.ErrNotFound) {
		return h.fail(c, http.StatusNotFound, "Site %s is not known here.", domain)
	}
	if err != nil {
		return httpapi.Respond(c, h.opts.Log, fmt.Errorf("statsapi: site %s: %w", domain, err))
	}
	res, err := h.opts.Engine.Run(ctx, site, q, now)
	var qe *stats.QueryError
	if errors.As(err, &qe) {
		return h.fail(c, http.StatusBadRequest, "%s", qe.Msg)
	}
	if err != nil {
		return httpapi.Respond(c, h.opts.Log, fmt.Errorf("statsapi: %w", err))
	}
	return c.JSON(res)
}
