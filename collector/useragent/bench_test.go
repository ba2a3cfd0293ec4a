package useragent

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkParseCold measures a cache miss: every iteration sees a user
// agent the cache has not seen.
func BenchmarkParseCold(b *testing.B) {
	p, err := New(Options{CacheSize: 1})
	if err != nil {
		b.Fatal(err)
	}
	uas := make([]string, 1024)
	for i := range uas {
		uas[i] = strings.Replace(uaChromeWindows, "131.0.0.0", "131.0."+strconv.Itoa(i)+".0", 1)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = p.Parse(uas[i%len(uas)])
		i++
	}
}

func BenchmarkParseCached(b *testing.B) {
	p, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	p.Parse(uaChromeWindows)
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Parse(uaChromeWindows)
	}
}

func BenchmarkParseCachedParallel(b *testing.B) {
	p, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	p.Parse(uaChromeWindows)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = p.Parse(uaChromeWindows)
		}
	})
}

// BenchmarkCrawlerIndex is the crawler-list check as shipped, on a browser
// (the common case: no pattern matches, every position is scanned).
func BenchmarkCrawlerIndex(b *testing.B) {
	m := matcher(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = m.match(uaChromeWindows)
	}
}

// BenchmarkCrawlerCombinedRegexp is the alternative the index replaced:
// one alternation of every pattern.
func BenchmarkCrawlerCombinedRegexp(b *testing.B) {
	var parts []string
	for _, e := range crawlerList(b) {
		parts = append(parts, "(?:"+e.Pattern+")")
	}
	re := regexp.MustCompile(strings.Join(parts, "|"))
	b.ReportAllocs()
	for b.Loop() {
		_ = re.MatchString(uaChromeWindows)
	}
}

// BenchmarkCrawlerEachRegexp runs the patterns one by one.
func BenchmarkCrawlerEachRegexp(b *testing.B) {
	n := newNaive(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = n.match(uaChromeWindows)
	}
}

func BenchmarkCrawlerBuild(b *testing.B) {
	var patterns []string
	for _, e := range crawlerList(b) {
		patterns = append(patterns, e.Pattern)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := newCrawlerMatcher(patterns); err != nil {
			b.Fatal(err)
		}
	}
}
