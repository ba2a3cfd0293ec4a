package dashboard

import (
	"strings"
	"sync"
	"time"
)

// sessionCache remembers looked-up sessions for a short while, so that a
// page's requests do not each ask the store. It has no goroutine of its
// own: entries expire when read, and a full cache drops its expired
// entries (or, if none, everything) before it takes a new one.
type sessionCache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	s       signedIn
	expires time.Time
}

func newSessionCache(ttl time.Duration, max int) *sessionCache {
	return &sessionCache{ttl: ttl, max: max, now: time.Now, entries: map[string]cacheEntry{}}
}

func (c *sessionCache) Get(key string) (signedIn, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return signedIn{}, false
	}
	if !c.now().Before(e.expires) {
		delete(c.entries, key)
		return signedIn{}, false
	}
	return e.s, true
}

func (c *sessionCache) Add(key string, s signedIn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	// The key (a cookie) may point into the request's buffer, which the
	// server reuses for the next request: the map keeps a copy.
	c.entries[strings.Clone(key)] = cacheEntry{s: s, expires: now.Add(c.ttl)}
}

func (c *sessionCache) Remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
}

// Purge forgets every session, as after a change of accounts.
func (c *sessionCache) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}
