package useragent

import (
	"strings"

	mssola "github.com/mssola/useragent"
)

// botReason applies the rules from the most specific to the most general, so
// that the metric says the most useful thing: curl is "non-browser" even
// though the crawler list also has it.
func (p *Parser) botReason(ua string, m *mssola.UserAgent) BotReason {
	switch {
	case isHeadless(ua):
		return ReasonHeadless
	case isHTTPClient(ua):
		return ReasonNonBrowser
	case p.crawlers.match(ua):
		return ReasonCrawlerList
	case m.Bot():
		return ReasonUAFlag
	case !strings.HasPrefix(ua, "Mozilla/") && !strings.HasPrefix(ua, "Opera/"):
		// Every browser of the last fifteen years starts its user agent
		// with "Mozilla/"; Presto-era Opera with "Opera/". The beacon is
		// sent by script in a browser, so anything else is a program.
		return ReasonNonBrowser
	}
	return ReasonNone
}

// headlessMarkers are tokens that automation tools leave in the user agent.
// Puppeteer and Playwright in headless mode send HeadlessChrome; some setups
// add their own names.
var headlessMarkers = []string{
	"HeadlessChrome",
	"PhantomJS",
	"SlimerJS",
	"Lighthouse", // also "Chrome-Lighthouse" (PageSpeed Insights)
	"Puppeteer",
	"Playwright",
	"Selenium",
	"HtmlUnit",
	"jsdom/",
	"Cypress/",
}

func isHeadless(ua string) bool {
	for _, m := range headlessMarkers {
		if strings.Contains(ua, m) {
			return true
		}
	}
	return false
}

// httpClients are product tokens of HTTP libraries and command-line tools,
// matched case-insensitively at the start of the user agent.
var httpClients = []string{
	"curl/", "wget/", "python-requests/", "python-urllib/", "python-httpx/",
	"python/", "aiohttp/", "httpx/", "go-http-client/", "okhttp/", "java/",
	"java-http-client/", "apache-httpclient/", "libwww-perl/", "lwp::",
	"php/", "guzzlehttp/", "axios/", "node-fetch/", "node/", "undici",
	"got (", "ruby", "faraday", "httpie/", "postmanruntime/", "insomnia/",
	"dart/", "deno/", "bun/", "reqwest/", "rest-client/", "powershell/",
	"wordpress/", "scrapy/",
}

func isHTTPClient(ua string) bool {
	for _, c := range httpClients {
		if len(ua) >= len(c) && strings.EqualFold(ua[:len(c)], c) {
			return true
		}
	}
	return false
}
