package useragent

import (
	"fmt"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"
	mssola "github.com/mssola/useragent"
)

// Options configure a Parser. The zero value is ready to use.
type Options struct {
	// CacheSize is how many distinct user agents keep their parsed Agent
	// in memory. Default 4096: a site's traffic comes from a few hundred
	// current browser builds, so hits dominate.
	CacheSize int
}

const (
	defaultCacheSize = 4096
	// maxCachedLen keeps pathological headers out of the cache, so that
	// its memory stays bounded by CacheSize x maxCachedLen. Real browser
	// user agents are well under 512 bytes.
	maxCachedLen = 1024
)

func (o *Options) fill() error {
	if o.CacheSize == 0 {
		o.CacheSize = defaultCacheSize
	}
	if o.CacheSize < 0 {
		return fmt.Errorf("useragent: cache size %d: want a positive number", o.CacheSize)
	}
	return nil
}

// Parser parses user agents through a bounded LRU cache. It is safe for
// concurrent use. The cache holds user agents in memory only, never on disk,
// and forgets the least recently seen first.
type Parser struct {
	cache    *lru.Cache[string, Agent]
	crawlers *crawlerMatcher
}

// New returns a Parser. It fails only on bad options or a broken embedded
// crawler list, both of which tests catch.
func New(opts Options) (*Parser, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	cache, err := lru.New[string, Agent](opts.CacheSize)
	if err != nil {
		return nil, fmt.Errorf("useragent: cache: %w", err)
	}
	m, err := crawlers()
	if err != nil {
		return nil, err
	}
	return &Parser{cache: cache, crawlers: m}, nil
}

// Parse returns the Agent for ua. Surrounding white space is ignored; an
// empty ua is a bot with ReasonEmpty.
func (p *Parser) Parse(ua string) Agent {
	ua = strings.TrimSpace(ua)
	if ua == "" {
		return Agent{Device: Desktop, Bot: true, BotReason: ReasonEmpty}
	}
	if a, ok := p.cache.Get(ua); ok {
		return a
	}
	a := p.parse(ua)
	if len(ua) <= maxCachedLen {
		// Clone: a web framework may hand us a view into a request
		// buffer that it reuses, which must not become a map key.
		p.cache.Add(strings.Clone(ua), a)
	}
	return a
}

func (p *Parser) parse(ua string) Agent {
	var m mssola.UserAgent
	m.Parse(ua)
	a := Agent{}
	a.Browser, a.BrowserVersion = browser(ua, &m)
	a.OS, a.OSVersion = operatingSystem(ua)
	a.Device = device(ua, a.OS)
	a.BotReason = p.botReason(ua, &m)
	a.Bot = a.BotReason != ReasonNone
	return a
}
