package useragent

import (
	"strings"
	"sync"
	"testing"
)

// Real user agents, current as of late 2024 unless noted.
const (
	uaChromeWindows  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	uaFirefoxLinux   = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
	uaSafariIPhone   = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
	uaSafariIPad     = "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
	uaSafariMac      = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"
	uaEdge           = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86"
	uaSamsung        = "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36"
	uaGooglebot      = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
	uaGooglebotPhone = "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.139 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
	uaBingbot        = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
	uaCurl           = "curl/8.5.0"
	uaHeadless       = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"
)

func TestParse(t *testing.T) {
	p := newParser(t)
	tests := []struct {
		name string
		ua   string
		want Agent
	}{
		{"chrome windows", uaChromeWindows, Agent{Browser: "Chrome", BrowserVersion: "131", OS: "Windows", OSVersion: "10", Device: Desktop}},
		{"firefox linux", uaFirefoxLinux, Agent{Browser: "Firefox", BrowserVersion: "133", OS: "Linux", Device: Desktop}},
		{"safari iphone", uaSafariIPhone, Agent{Browser: "Safari", BrowserVersion: "17", OS: "iOS", OSVersion: "17", Device: Mobile}},
		{"safari ipad", uaSafariIPad, Agent{Browser: "Safari", BrowserVersion: "17", OS: "iPadOS", OSVersion: "17", Device: Tablet}},
		{"safari mac", uaSafariMac, Agent{Browser: "Safari", BrowserVersion: "17", OS: "macOS", OSVersion: "10.15", Device: Desktop}},
		{"edge", uaEdge, Agent{Browser: "Edge", BrowserVersion: "131", OS: "Windows", OSVersion: "10", Device: Desktop}},
		{"samsung internet", uaSamsung, Agent{Browser: "Samsung Internet", BrowserVersion: "23", OS: "Android", OSVersion: "14", Device: Mobile}},
		{"chrome android phone", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
			Agent{Browser: "Chrome", BrowserVersion: "131", OS: "Android", OSVersion: "10", Device: Mobile}},
		{"chrome android tablet", "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			Agent{Browser: "Chrome", BrowserVersion: "131", OS: "Android", OSVersion: "13", Device: Tablet}},
		{"firefox android", "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
			Agent{Browser: "Firefox", BrowserVersion: "133", OS: "Android", OSVersion: "14", Device: Mobile}},
		{"firefox mac", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0",
			Agent{Browser: "Firefox", BrowserVersion: "133", OS: "macOS", OSVersion: "10.15", Device: Desktop}},
		{"firefox windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
			Agent{Browser: "Firefox", BrowserVersion: "133", OS: "Windows", OSVersion: "10", Device: Desktop}},
		{"chrome ios", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
			Agent{Browser: "Chrome", BrowserVersion: "131", OS: "iOS", OSVersion: "17", Device: Mobile}},
		{"firefox ios", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15",
			Agent{Browser: "Firefox", BrowserVersion: "133", OS: "iOS", OSVersion: "17", Device: Mobile}},
		{"opera", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/116.0.0.0",
			Agent{Browser: "Opera", BrowserVersion: "116", OS: "Windows", OSVersion: "10", Device: Desktop}},
		{"edge android", "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0",
			Agent{Browser: "Edge", BrowserVersion: "131", OS: "Android", OSVersion: "14", Device: Mobile}},
		{"yandex", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 YaBrowser/24.10.0.0 Safari/537.36",
			Agent{Browser: "Yandex Browser", BrowserVersion: "24", OS: "Windows", OSVersion: "10", Device: Desktop}},
		{"chromeos", "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			Agent{Browser: "Chrome", BrowserVersion: "131", OS: "ChromeOS", Device: Desktop}},
		{"macos 14 chrome", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			Agent{Browser: "Chrome", BrowserVersion: "131", OS: "macOS", OSVersion: "14", Device: Desktop}},
		{"windows 7", "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
			Agent{Browser: "Chrome", BrowserVersion: "109", OS: "Windows", OSVersion: "7", Device: Desktop}},
		{"ie 11", "Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko",
			Agent{Browser: "Internet Explorer", BrowserVersion: "11", OS: "Windows", OSVersion: "10", Device: Desktop}},
		{"android webview", "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.0.0 Mobile Safari/537.36",
			Agent{Browser: "Chrome WebView", BrowserVersion: "131", OS: "Android", OSVersion: "14", Device: Mobile}},
		{"instagram in-app", "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.0.0 Mobile Safari/537.36 Instagram 350.0.0.0",
			Agent{Browser: "Instagram", BrowserVersion: "350", OS: "Android", OSVersion: "14", Device: Mobile}},
		{"facebook ios in-app", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/450.0.0.0;]",
			Agent{Browser: "Facebook", BrowserVersion: "450", OS: "iOS", OSVersion: "17", Device: Mobile}},
		{"linkedin ios in-app", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.30.1",
			Agent{Browser: "LinkedIn", BrowserVersion: "9", OS: "iOS", OSVersion: "17", Device: Mobile}},
		{"ios webview", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
			Agent{Browser: "iOS WebView", OS: "iOS", OSVersion: "17", Device: Mobile}},
		{"old android stock", "Mozilla/5.0 (Linux; U; Android 4.0.3; ko-kr; LG-L160L Build/IML74K) AppleWebkit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
			Agent{Browser: "Android Browser", BrowserVersion: "4", OS: "Android", OSVersion: "4", Device: Mobile}},
		{"old ipad ios 12", "Mozilla/5.0 (iPad; CPU OS 12_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1.2 Mobile/15E148 Safari/604.1",
			Agent{Browser: "Safari", BrowserVersion: "12", OS: "iOS", OSVersion: "12", Device: Tablet}},
		{"unknown browser token is not copied", "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 MySecretBrowser/7",
			Agent{OS: "Linux", Device: Desktop}},
		{"forged long version", "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/12345678901.0 Safari/537.36",
			Agent{Browser: "Chrome", OS: "Windows", OSVersion: "10", Device: Desktop}},

		{"googlebot", uaGooglebot, Agent{Device: Desktop, Bot: true, BotReason: ReasonCrawlerList}},
		{"googlebot smartphone", uaGooglebotPhone, Agent{Browser: "Chrome", BrowserVersion: "131", OS: "Android", OSVersion: "6", Device: Mobile, Bot: true, BotReason: ReasonCrawlerList}},
		{"bingbot", uaBingbot, Agent{Device: Desktop, Bot: true, BotReason: ReasonCrawlerList}},
		{"curl", uaCurl, Agent{Device: Desktop, Bot: true, BotReason: ReasonNonBrowser}},
		{"wget", "Wget/1.21.4", Agent{Device: Desktop, Bot: true, BotReason: ReasonNonBrowser}},
		{"python-requests", "python-requests/2.32.3", Agent{Device: Desktop, Bot: true, BotReason: ReasonNonBrowser}},
		{"go http client", "Go-http-client/2.0", Agent{Device: Desktop, Bot: true, BotReason: ReasonNonBrowser}},
		{"unknown program", "MyMonitor/1.0", Agent{Device: Desktop, Bot: true, BotReason: ReasonNonBrowser}},
		{"headless chrome", uaHeadless, Agent{Browser: "Chrome", BrowserVersion: "131", OS: "Linux", Device: Desktop, Bot: true, BotReason: ReasonHeadless}},
		{"lighthouse", "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
			Agent{Browser: "Chrome", BrowserVersion: "131", OS: "Android", OSVersion: "11", Device: Mobile, Bot: true, BotReason: ReasonHeadless}},
		{"phantomjs", "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
			Agent{OS: "Linux", Device: Desktop, Bot: true, BotReason: ReasonHeadless}},
		{"unlisted bot with url", "Mozilla/5.0 (compatible; Zzyzxbot/1.0; +https://zzyzx.example/bot)",
			Agent{Device: Desktop, Bot: true, BotReason: ReasonUAFlag}},
		{"empty", "", Agent{Device: Desktop, Bot: true, BotReason: ReasonEmpty}},
		{"blank", "   ", Agent{Device: Desktop, Bot: true, BotReason: ReasonEmpty}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Twice: the second answer comes from the cache.
			for range 2 {
				if got := p.Parse(tt.ua); got != tt.want {
					t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.ua, got, tt.want)
				}
			}
		})
	}
}

func TestNewOptions(t *testing.T) {
	if _, err := New(Options{CacheSize: -1}); err == nil {
		t.Errorf("New(CacheSize: -1) error = nil, want one")
	}
	p, err := New(Options{})
	if err != nil {
		t.Fatalf("New(zero Options): %v", err)
	}
	if got := p.cache.Resize(defaultCacheSize); got != 0 {
		t.Errorf("default cache evicted %d on resize to %d, want 0", got, defaultCacheSize)
	}
}

func TestCacheBounded(t *testing.T) {
	p, err := New(Options{CacheSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	p.Parse(uaChromeWindows)
	p.Parse(uaFirefoxLinux)
	p.Parse(uaEdge)
	if n := p.cache.Len(); n != 2 {
		t.Errorf("cache holds %d entries, want 2", n)
	}
	long := uaChromeWindows + strings.Repeat(" x", maxCachedLen)
	p.Parse(long)
	if p.cache.Contains(long) {
		t.Errorf("a %d-byte user agent was cached, want it left out", len(long))
	}
}

// TestCacheKeyIsCopied guards against a framework (fasthttp, under Fiber)
// that hands out strings backed by a buffer it reuses for the next request:
// the cache must own its key.
func TestCacheKeyIsCopied(t *testing.T) {
	p := newParser(t)
	buf := []byte(uaChromeWindows)
	p.Parse(viewOf(buf))
	for i := range buf {
		buf[i] = 'x'
	}
	if !p.cache.Contains(uaChromeWindows) {
		t.Errorf("cache lost its key when the caller's buffer changed")
	}
}

func TestParseConcurrent(t *testing.T) {
	p, err := New(Options{CacheSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	uas := []string{uaChromeWindows, uaFirefoxLinux, uaSafariIPhone, uaEdge, uaSamsung, uaGooglebot}
	want := make([]Agent, len(uas))
	for i, ua := range uas {
		want[i] = p.Parse(ua)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				j := (i + g) % len(uas)
				if got := p.Parse(uas[j]); got != want[j] {
					t.Errorf("concurrent Parse(%q) = %+v, want %+v", uas[j], got, want[j])
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestReasonsCoverAll(t *testing.T) {
	seen := map[BotReason]bool{}
	for _, r := range Reasons() {
		if r == ReasonNone || seen[r] {
			t.Errorf("Reasons() has %q twice or empty", r)
		}
		seen[r] = true
	}
	if len(seen) != 5 {
		t.Errorf("Reasons() has %d reasons, want 5", len(seen))
	}
}

func newParser(t testing.TB) *Parser {
	t.Helper()
	p, err := New(Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}
