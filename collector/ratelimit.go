package collector

import (
	"hash/maphash"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/varde/varde/internal/httpapi"
)

// limiter is a token bucket per client address. Addresses are kept only as
// seeded hashes, in memory, for as long as their bucket is not full.
type limiter struct {
	rate   float64
	burst  float64
	seed   maphash.Seed
	shards [32]limiterShard
}

type limiterShard struct {
	mu      sync.Mutex
	buckets map[uint64]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate float64, burst int) *limiter {
	l := &limiter{rate: rate, burst: float64(burst), seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].buckets = map[uint64]*bucket{}
	}
	return l
}

// allow takes a token for addr; when none is left it returns how long until
// there is one.
func (l *limiter) allow(addr netip.Addr, now time.Time) (bool, time.Duration) {
	b16 := addr.As16()
	key := maphash.Bytes(l.seed, b16[:])
	sh := &l.shards[key%uint64(len(l.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b, ok := sh.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		sh.buckets[key] = b
	}
	if d := now.Sub(b.last).Seconds(); d > 0 {
		// A clock that steps back refills nothing, and drains nothing.
		b.tokens = min(l.burst, b.tokens+d*l.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	}
	b.tokens--
	return true, 0
}

// forget drops buckets that have filled up again: they hold no state.
func (l *limiter) forget(now time.Time) {
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		for k, b := range sh.buckets {
			if now.Sub(b.last) > full {
				delete(sh.buckets, k)
			}
		}
		sh.mu.Unlock()
	}
}

// limit answers 429 with Retry-After to a client over its rate.
func (s *Server) limit(c *fiber.Ctx) error {
	ok, wait := s.limiter.allow(s.ClientIP(c), s.Now())
	if !ok {
		s.metrics.rejected.WithLabelValues("rate-limited").Inc()
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(wait/time.Second)+1))
		return httpapi.Errorf(http.StatusTooManyRequests, "too many requests from this address; slow down")
	}
	return c.Next()
}

// ClientIP is the TCP peer, or for a trusted proxy the address it forwarded.
func (s *Server) ClientIP(c *fiber.Ctx) netip.Addr {
	var peer netip.Addr
	if a, ok := c.Context().RemoteAddr().(interface{ AddrPort() netip.AddrPort }); ok {
		peer = a.AddrPort().Addr()
	} else {
		peer, _ = netip.ParseAddr(c.Context().RemoteIP().String())
	}
	var xff []string
	if s.Trusted.Len() > 0 && s.Trusted.Contains(peer) {
		c.Request().Header.VisitAll(func(k, v []byte) {
			if string(k) == fiber.HeaderXForwardedFor {
				xff = append(xff, string(v))
			}
		})
	}
	return s.Trusted.ClientIP(peer, xff)
}
