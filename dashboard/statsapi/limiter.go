package statsapi

import (
	"strings"
	"sync"
	"time"
)

// limiter is a token bucket per API key: rate tokens a second, at most
// burst. Only keys that authenticated get a bucket, so the map is bounded
// by the number of keys.
type limiter struct {
	mu      sync.Mutex
	rate    float64
	burst   float64
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate, burst float64) *limiter {
	return &limiter{rate: rate, burst: burst, buckets: map[string]*bucket{}}
}

// take spends a token of key and returns 0, or returns how long until a
// token is there.
func (l *limiter) take(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		// The key may point into the request's buffer, which the server
		// reuses for the next request: the map keeps a copy.
		l.buckets[strings.Clone(key)] = b
	}
	if d := now.Sub(b.last).Seconds(); d > 0 {
		b.tokens = min(l.burst, b.tokens+d*l.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}
