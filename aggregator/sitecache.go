package aggregator

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
)

// SiteCache holds every site in memory for the request path, reloaded from
// the store in the background: a beacon for an unknown site never costs a
// store query, and a site added on another node appears here within one
// reload interval.
type SiteCache struct {
	sites Sites
	log   *slog.Logger
	all   atomic.Pointer[map[string]Site]
}

// NewSiteCache returns an empty cache; call Reload before serving.
func NewSiteCache(sites Sites, log *slog.Logger) *SiteCache {
	c := &SiteCache{sites: sites, log: log}
	c.all.Store(&map[string]Site{})
	return c
}

// Get returns the site with this domain (any case), if it exists.
func (c *SiteCache) Get(domain string) (Site, bool) {
	s, ok := (*c.all.Load())[strings.ToLower(domain)]
	return s, ok
}

// Reload reads every site from the store.
func (c *SiteCache) Reload(ctx context.Context) error {
	list, err := c.sites.List(ctx)
	if err != nil {
		return err
	}
	m := make(map[string]Site, len(list))
	for _, s := range list {
		m[s.Domain] = s
	}
	c.all.Store(&m)
	return nil
}

// Run reloads every interval until ctx ends.
func (c *SiteCache) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := c.Reload(ctx); err != nil && ctx.Err() == nil {
				c.log.Warn("reloading sites failed; serving the last known", "err", err)
			}
		}
	}
}
