package useragent

import (
	"encoding/json"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"
)

type listEntry struct {
	Pattern   string   `json:"pattern"`
	Instances []string `json:"instances"`
}

func crawlerList(t testing.TB) []listEntry {
	t.Helper()
	var list []listEntry
	if err := json.Unmarshal(crawlerListJSON, &list); err != nil {
		t.Fatalf("crawler list: %v", err)
	}
	return list
}

func matcher(t testing.TB) *crawlerMatcher {
	t.Helper()
	m, err := crawlers()
	if err != nil {
		t.Fatalf("crawlers: %v", err)
	}
	return m
}

// naiveMatch is the definition the index must agree with.
type naiveMatcher []*regexp.Regexp

func newNaive(t testing.TB) naiveMatcher {
	var n naiveMatcher
	for _, e := range crawlerList(t) {
		n = append(n, regexp.MustCompile(e.Pattern))
	}
	return n
}

func (n naiveMatcher) match(ua string) bool {
	for _, re := range n {
		if re.MatchString(ua) {
			return true
		}
	}
	return false
}

func TestCrawlerListInstances(t *testing.T) {
	m := matcher(t)
	list := crawlerList(t)
	if len(list) < 1000 {
		t.Fatalf("crawler list has %d patterns, want the full list", len(list))
	}
	for _, e := range list {
		for _, ua := range e.Instances {
			if !m.match(ua) {
				t.Errorf("pattern %q: instance %q not matched", e.Pattern, ua)
			}
		}
	}
}

func TestCrawlerListSparesBrowsers(t *testing.T) {
	m := matcher(t)
	for _, ua := range browserUAs {
		if m.match(ua) {
			t.Errorf("browser %q matched the crawler list", ua)
		}
	}
}

// TestCrawlerIndexCoversEveryPattern keeps the slow path empty: a pattern
// without a literal of keyLen bytes would run on every user agent.
func TestCrawlerIndexCoversEveryPattern(t *testing.T) {
	if n := len(matcher(t).always); n != 0 {
		t.Errorf("%d patterns have no indexable literal, want 0", n)
	}
}

func TestCrawlerMatcherAgreesWithRegexps(t *testing.T) {
	m, naive := matcher(t), newNaive(t)
	inputs := slices.Clone(browserUAs)
	for _, e := range crawlerList(t) {
		inputs = append(inputs, e.Instances...)
		// A case change probes the folding, a prefix the anchors. One
		// instance per pattern is enough: each variant costs a run of
		// every pattern in the naive matcher.
		if len(e.Instances) > 0 {
			ua := e.Instances[0]
			inputs = append(inputs, strings.ToUpper(ua), "x"+ua[:len(ua)/2])
		}
	}
	step := 1
	if raceEnabled {
		step = 16
	}
	for i := 0; i < len(inputs); i += step {
		ua := inputs[i]
		if got, want := m.match(ua), naive.match(ua); got != want {
			t.Errorf("match(%q) = %v, want %v", ua, got, want)
		}
	}
}

func TestRequiredSet(t *testing.T) {
	tests := []struct {
		pattern string
		want    []string // nil: no set
	}{
		{`Googlebot\/`, []string{"googlebot/"}},
		{`[wW]get`, []string{"wget"}},
		{`^curl`, []string{"curl"}},
		{`AdsBot-Google([^-]|$)`, []string{"adsbot-google"}},
		{`Ahrefs(Bot|SiteAudit)`, []string{"ahrefsbot", "ahrefssiteaudit"}},
		{`ContextualBot[\s\S]*outcomes\.net`, []string{"contextualbot"}},
		{`Chirp|gotosocial`, []string{"chirp", "gotosocial"}},
		{`BlogTraffic\/\d\.\d+ Feed-Fetcher`, []string{" feed-fetcher"}},
		{`a.*b`, nil},
		{`.*`, nil},
	}
	for _, tt := range tests {
		re, err := syntax.Parse(tt.pattern, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := requiredSet(re.Simplify())
		if tt.want == nil {
			if ok && minLen(got) >= keyLen {
				t.Errorf("requiredSet(%q) = %q, want none usable", tt.pattern, got)
			}
			continue
		}
		if !ok || !slices.Equal(got, tt.want) {
			t.Errorf("requiredSet(%q) = %q, %v; want %q", tt.pattern, got, ok, tt.want)
		}
	}
}

// browserUAs are people's browsers that no bot rule may catch.
var browserUAs = []string{
	uaChromeWindows, uaFirefoxLinux, uaSafariIPhone, uaSafariIPad, uaSafariMac, uaEdge, uaSamsung,
	"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/116.0.0.0",
	"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.0.0 Mobile Safari/537.36 Instagram 350.0.0.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/450.0.0.0;]",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.30.1",
	"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 YaBrowser/24.10.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Vivaldi/7.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 DuckDuckGo/7 Mobile/15E148 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/343.0.695551749 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 12; moto g(30)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 OPR/86.0.0.0",
	"Mozilla/5.0 (Linux; U; Android 4.0.3; ko-kr; LG-L160L Build/IML74K) AppleWebkit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
	"Opera/9.80 (Windows NT 6.1; U; en) Presto/2.10.229 Version/11.62",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0 OneOutlook/1.2024.1120.300",
}

func TestBrowsersAreNotBots(t *testing.T) {
	p := newParser(t)
	for _, ua := range browserUAs {
		if a := p.Parse(ua); a.Bot {
			t.Errorf("Parse(%q).Bot = true (%s), want false", ua, a.BotReason)
		}
	}
}
