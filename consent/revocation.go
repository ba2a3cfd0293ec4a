package consent

import (
	"math"
	"sync"
	"time"
)

// RevokeAll as a version bound revokes every version of a consent: what a
// withdrawal does.
const RevokeAll = math.MaxInt

// Revocations answers whether a consent token's version has been revoked.
// Verifier asks it on every check; RevocationCache is the implementation a
// node uses, refreshed from the store.
type Revocations interface {
	Revoked(consentID string, version int) bool
}

// RevocationCache is an in-memory set of revocations, safe for concurrent
// use. The zero value is empty and ready. A node adds what it records
// itself at once, and what other nodes recorded when it reloads the
// store's revocations (every ~2 s); that reload interval bounds how long a
// withdrawn token keeps working on another node.
type RevocationCache struct {
	mu sync.RWMutex
	m  map[string]revocationEntry
}

type revocationEntry struct {
	below int // versions below this are revoked
	at    time.Time
}

// Add revokes the tokens of consentID whose version is below belowVersion
// (RevokeAll for every version). Adding the same or a weaker revocation
// again changes nothing, so reloading the whole list is fine.
func (c *RevocationCache) Add(consentID string, belowVersion int, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]revocationEntry)
	}
	e, ok := c.m[consentID]
	if ok && e.below >= belowVersion {
		return
	}
	c.m[consentID] = revocationEntry{below: belowVersion, at: at}
}

// Revoked reports whether the token of the consent's version is revoked.
func (c *RevocationCache) Revoked(consentID string, version int) bool {
	c.mu.RLock()
	e, ok := c.m[consentID]
	c.mu.RUnlock()
	return ok && version < e.below
}

// Forget drops revocations made before cutoff and returns how many. Pass
// now minus the longest token lifetime (MaxLifetimeDays): a token revoked
// before then has expired anyway.
func (c *RevocationCache) Forget(cutoff time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for id, e := range c.m {
		if e.at.Before(cutoff) {
			delete(c.m, id)
			n++
		}
	}
	return n
}

// Len returns the number of consents with a revocation.
func (c *RevocationCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
