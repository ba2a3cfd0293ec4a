package referrer

import "strings"

// Source names for groups rather than sites.
const (
	// Direct is Plausible's name for "no referrer, or from the site itself".
	Direct = "Direct / None"
	// Email is any webmail client.
	Email = "Email"
)

// knownHosts maps a host, or any domain above it, to a source name:
// "l.facebook.com" finds "facebook.com". Search engines that live under many
// country domains are handled by brandNames instead.
var knownHosts = map[string]string{
	// Search engines.
	"bing.com":         "Bing",
	"ntp.msn.com":      "Bing",
	"duckduckgo.com":   "DuckDuckGo",
	"search.yahoo.com": "Yahoo",
	"yahoo.com":        "Yahoo",
	"yahoo.co.jp":      "Yahoo",
	"ya.ru":            "Yandex",
	"baidu.com":        "Baidu",
	"ecosia.org":       "Ecosia",
	"kvasir.no":        "Kvasir",
	"startpage.com":    "Startpage",
	"startpage.nl":     "Startpage",
	"qwant.com":        "Qwant",
	"search.brave.com": "Brave",
	"sogou.com":        "Sogou",
	"naver.com":        "Naver",
	"seznam.cz":        "Seznam",
	"ask.com":          "Ask",
	"perplexity.ai":    "Perplexity",
	"chatgpt.com":      "ChatGPT",
	"chat.openai.com":  "ChatGPT",

	// Social networks and messengers.
	"facebook.com":         "Facebook",
	"fb.com":               "Facebook",
	"fb.me":                "Facebook",
	"messenger.com":        "Facebook",
	"instagram.com":        "Instagram",
	"linkedin.com":         "LinkedIn",
	"lnkd.in":              "LinkedIn",
	"twitter.com":          "Twitter",
	"x.com":                "Twitter",
	"t.co":                 "Twitter",
	"reddit.com":           "Reddit",
	"redd.it":              "Reddit",
	"youtube.com":          "YouTube",
	"youtu.be":             "YouTube",
	"tiktok.com":           "TikTok",
	"pin.it":               "Pinterest",
	"snapchat.com":         "Snapchat",
	"threads.net":          "Threads",
	"threads.com":          "Threads",
	"bsky.app":             "Bluesky",
	"mastodon.social":      "Mastodon",
	"mastodon.online":      "Mastodon",
	"mstdn.social":         "Mastodon",
	"mas.to":               "Mastodon",
	"fosstodon.org":        "Mastodon",
	"hachyderm.io":         "Mastodon",
	"t.me":                 "Telegram",
	"web.telegram.org":     "Telegram",
	"discord.com":          "Discord",
	"web.whatsapp.com":     "WhatsApp",
	"wa.me":                "WhatsApp",
	"news.ycombinator.com": "Hacker News",
	"github.com":           "GitHub",

	// Webmail.
	"mail.google.com":       Email,
	"outlook.live.com":      Email,
	"outlook.office.com":    Email,
	"outlook.office365.com": Email,
	"mail.yahoo.com":        Email,
	"mail.proton.me":        Email,
	"mail.aol.com":          Email,
	"mail.zoho.com":         Email,
	"mail.yandex.ru":        Email,
	"e.mail.ru":             Email,
}

// brandNames are sites that run one property under many country domains:
// google.no, google.co.uk, google.com.br, yandex.com.tr, pinterest.de.
var brandNames = map[string]string{
	"google":    "Google",
	"yandex":    "Yandex",
	"yahoo":     "Yahoo",
	"bing":      "Bing",
	"pinterest": "Pinterest",
	"ecosia":    "Ecosia",
	"qwant":     "Qwant",
}

// androidApps maps Android package names, which Chrome sends as
// "android-app://<package>/" when an app opens a link, to sources.
var androidApps = map[string]string{
	"com.google.android.googlequicksearchbox": "Google",
	"com.google.android.gm":                   Email,
	"com.microsoft.office.outlook":            Email,
	"com.facebook.katana":                     "Facebook",
	"com.facebook.orca":                       "Facebook",
	"com.instagram.android":                   "Instagram",
	"com.linkedin.android":                    "LinkedIn",
	"com.twitter.android":                     "Twitter",
	"com.reddit.frontpage":                    "Reddit",
	"com.google.android.youtube":              "YouTube",
	"com.zhiliaoapp.musically":                "TikTok",
	"com.pinterest":                           "Pinterest",
	"com.snapchat.android":                    "Snapchat",
	"org.telegram.messenger":                  "Telegram",
	"com.whatsapp":                            "WhatsApp",
	"com.slack":                               "Slack",
}

// nameOfHost returns the source name for a known host, or "".
func nameOfHost(host string) string {
	for h := host; h != ""; {
		if name, ok := knownHosts[h]; ok {
			return name
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	// Generic webmail: mail.example.no, webmail.example.com.
	if strings.HasPrefix(host, "mail.") || strings.HasPrefix(host, "webmail.") {
		return Email
	}
	return brandOf(host)
}

// brandOf recognises <brand>.<tld>, <brand>.co.<cc> and <brand>.com.<cc>,
// with any subdomain in front (www., images., no.search.).
func brandOf(host string) string {
	// Peel up to three labels off the end: tld, then maybe co/com, then
	// the brand.
	rest, last := cutLast(host)
	rest, second := cutLast(rest)
	if name, ok := brandNames[second]; ok && isTLD(last) {
		return name
	}
	_, third := cutLast(rest)
	if name, ok := brandNames[third]; ok && (second == "co" || second == "com") && isCountry(last) {
		return name
	}
	return ""
}

// cutLast splits "a.b.c" into "a.b" and "c".
func cutLast(h string) (rest, label string) {
	i := strings.LastIndexByte(h, '.')
	if i < 0 {
		return "", h
	}
	return h[:i], h[i+1:]
}

func isTLD(s string) bool { return s == "com" || isCountry(s) }

func isCountry(s string) bool {
	return len(s) == 2 && s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z'
}
