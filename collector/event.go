package collector

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/writer"
	"github.com/varde/varde/collector/bots"
	"github.com/varde/varde/collector/geo"
	"github.com/varde/varde/collector/identity"
	"github.com/varde/varde/collector/referrer"
	"github.com/varde/varde/consent"
	"github.com/varde/varde/internal/httpapi"
)

// event takes a beacon: consent first, then enrichment, then the durable
// spool. 202 means the event will be stored exactly once.
func (s *Server) event(c *fiber.Ctx) error {
	now := s.Now()
	body := c.Body()
	if len(body) > MaxBeaconSize {
		s.metrics.rejected.WithLabelValues("too-large").Inc()
		return httpapi.Errorf(http.StatusRequestEntityTooLarge, "an event body may be at most 4 KB")
	}
	b, err := parseBeacon(body)
	if err != nil {
		s.metrics.rejected.WithLabelValues("bad-request").Inc()
		return httpapi.Errorf(http.StatusBadRequest, err.Error())
	}
	site, ok := s.Sites.Get(b.Site)
	if !ok {
		s.metrics.rejected.WithLabelValues("unknown-site").Inc()
		return httpapi.Errorf(http.StatusNotFound, "unknown site "+quoteSite(b.Site))
	}
	token := b.Token
	if token == "" {
		token = bearer(c)
	}
	// The consent check comes before any other work (DESIGN.md invariant 1).
	if err := s.Verifier.Allow(token, site.Domain, consent.Statistics, now); err != nil {
		s.metrics.rejected.WithLabelValues("consent").Inc()
		return httpapi.Errorf(http.StatusForbidden, err.Error()+"; nothing was stored")
	}
	today, previous, ok := s.Salts.For(now)
	if !ok {
		// Not the beacon's fault: 503 says to send it again.
		s.metrics.rejected.WithLabelValues("starting").Inc()
		c.Set(fiber.HeaderRetryAfter, "5")
		return httpapi.Errorf(http.StatusServiceUnavailable, "the collector is starting; retry shortly")
	}
	ev, reason, err := s.enrich(c, site, b, now, today, previous)
	if err != nil {
		s.metrics.rejected.WithLabelValues("bad-request").Inc()
		return httpapi.Errorf(http.StatusBadRequest, err.Error())
	}
	if reason != "" {
		s.metrics.bots.WithLabelValues(reason).Inc()
		// Not 202: a 202 always means stored.
		return c.SendStatus(http.StatusNoContent)
	}
	if err := s.Sink.Append(c.UserContext(), ev); err != nil {
		if errors.Is(err, writer.ErrFull) {
			s.metrics.rejected.WithLabelValues("spool-full").Inc()
			c.Set(fiber.HeaderRetryAfter, "30")
			return httpapi.Errorf(http.StatusServiceUnavailable, "the collector cannot take events right now; retry later")
		}
		return err
	}
	kind := "custom"
	if ev.Name == aggregator.PageviewName {
		kind = "pageview"
	}
	s.metrics.accepted.WithLabelValues(kind).Inc()
	return c.SendStatus(http.StatusAccepted)
}

// enrich turns a beacon into an event: page and source, location, browser,
// visitor id. The IP address and the user agent are read here and go no
// further than this function. A non-empty reason means a bot: drop it.
func (s *Server) enrich(c *fiber.Ctx, site aggregator.Site, b parsedBeacon, now time.Time, today, previous []byte) (aggregator.Event, string, error) {
	ua := c.Get(fiber.HeaderUserAgent)
	agent := s.Agents.Parse(ua)
	if agent.Bot {
		return aggregator.Event{}, string(agent.BotReason), nil
	}
	if bot, reason := bots.Check(bots.Request{
		Browser: agent.Browser, BrowserVersion: agent.BrowserVersion,
		AcceptLanguage: c.Get(fiber.HeaderAcceptLanguage),
		SecFetchMode:   c.Get("Sec-Fetch-Mode"), SecFetchDest: c.Get("Sec-Fetch-Dest"),
		SecCHUA: c.Get("Sec-CH-UA"), Purpose: firstHeader(c, "Sec-Purpose", "Purpose", "X-Purpose", "X-Moz"),
	}); bot {
		return aggregator.Event{}, string(reason), nil
	}
	host, path, query, utm, err := referrer.Page(b.URL, site.QueryAllow, site.Banner.HashRouting)
	if err != nil {
		return aggregator.Event{}, "", errors.New("the event url must be an absolute http or https URL")
	}
	src := referrer.Classify(b.Referrer, host).WithUTM(utm)

	ip := s.ClientIP(c)
	precision, err := geo.ParsePrecision(site.Geo)
	if err != nil {
		precision = geo.Country
	}
	loc := s.Geo.Lookup(ip, precision)
	ev := aggregator.Event{
		Site:           site.Domain,
		Time:           now.UTC(),
		VisitorID:      identity.VisitorID(today, site.Domain, ip, ua),
		Name:           b.Name,
		Hostname:       host,
		Path:           path,
		Query:          query,
		Referrer:       src.ReferrerDomain,
		Source:         src.Source,
		UTMSource:      utm.Source,
		UTMMedium:      utm.Medium,
		UTMCampaign:    utm.Campaign,
		UTMContent:     utm.Content,
		UTMTerm:        utm.Term,
		Country:        loc.CountryCode,
		Region:         loc.RegionCode,
		RegionName:     loc.RegionName,
		City:           loc.City,
		Browser:        agent.Browser,
		BrowserVersion: agent.BrowserVersion,
		OS:             agent.OS,
		OSVersion:      agent.OSVersion,
		Device:         agent.Device,
		ScreenWidth:    b.Width,
		PropKeys:       b.PropKeys,
		PropValues:     b.PropValues,
	}
	if previous != nil {
		ev.PrevVisitorID = identity.VisitorID(previous, site.Domain, ip, ua)
	}
	return ev, "", nil
}

func firstHeader(c *fiber.Ctx, names ...string) string {
	for _, n := range names {
		if v := c.Get(n); v != "" {
			return v
		}
	}
	return ""
}

// bearer is the token of an "Authorization: Bearer" header.
func bearer(c *fiber.Ctx) string {
	h := c.Get(fiber.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// quoteSite quotes a site name for an error sentence, cut to a sane length.
func quoteSite(s string) string {
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return `"` + s + `"`
}
