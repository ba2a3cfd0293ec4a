package useragent

// Agent is what Varde keeps from a user agent.
type Agent struct {
	// Browser is the family: "Chrome", "Firefox", "Safari", "Edge",
	// "Samsung Internet", "Opera", ... or "" when unknown.
	Browser string
	// BrowserVersion is the major version, digits only, e.g. "131".
	BrowserVersion string
	// OS is "Windows", "macOS", "iOS", "iPadOS", "Android", "Linux",
	// "ChromeOS", ... or "" when unknown.
	OS string
	// OSVersion is the version the user agent admits to, major only:
	// "17" for iOS 17.4, "14" for Android 14. Windows reports its marketing
	// name ("10" covers Windows 11, which sends the same token; "8.1",
	// "7", "XP"), and macOS 10.x keeps its minor ("10.15") because every
	// macOS since 11 still claims 10.15 and "10" alone would say nothing.
	OSVersion string
	// Device is "desktop", "mobile" or "tablet".
	Device string
	// Bot is set when the client is not a person's browser.
	Bot bool
	// BotReason says which rule decided Bot, for a metric of drops.
	BotReason BotReason
}

// BotReason names the rule that marked an agent as a bot. The set is fixed
// so that it can label a metric.
type BotReason string

const (
	// ReasonNone is the reason of an agent that is not a bot.
	ReasonNone BotReason = ""
	// ReasonEmpty: no user agent at all; every browser sends one.
	ReasonEmpty BotReason = "empty"
	// ReasonHeadless: an automated browser (HeadlessChrome, PhantomJS,
	// Lighthouse, Puppeteer/Playwright markers, ...).
	ReasonHeadless BotReason = "headless"
	// ReasonNonBrowser: an HTTP library or command-line client (curl,
	// wget, python-requests, Go-http-client, ...) or anything that does
	// not present itself as a browser ("Mozilla/" or "Opera/").
	ReasonNonBrowser BotReason = "non-browser"
	// ReasonCrawlerList: matched a pattern of crawler-user-agents.
	ReasonCrawlerList BotReason = "crawler-list"
	// ReasonUAFlag: the mssola/useragent parser flagged it as a bot.
	ReasonUAFlag BotReason = "ua-flag"
)

// Reasons lists every BotReason but ReasonNone, e.g. to pre-register
// metric labels.
func Reasons() []BotReason {
	return []BotReason{ReasonEmpty, ReasonHeadless, ReasonNonBrowser, ReasonCrawlerList, ReasonUAFlag}
}

// Device classes.
const (
	Desktop = "desktop"
	Mobile  = "mobile"
	Tablet  = "tablet"
)
