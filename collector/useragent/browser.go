package useragent

import (
	"strings"

	mssola "github.com/mssola/useragent"
)

// browserTokens are checked in order; the first present wins. Order matters:
// Edge, Opera, Samsung Internet and the rest also carry "Chrome/" and
// "Safari/", Chrome on iOS carries "Safari/", and in-app browsers carry
// everything, so the more specific token comes first.
var browserTokens = []struct {
	token string
	name  string
}{
	{"Edg/", "Edge"},
	{"EdgA/", "Edge"},
	{"EdgiOS/", "Edge"},
	{"Edge/", "Edge"},
	{"SamsungBrowser/", "Samsung Internet"},
	{"OPR/", "Opera"},
	{"OPiOS/", "Opera"},
	{"OPT/", "Opera"},
	{"OPX/", "Opera"},
	{"Opera Mini/", "Opera Mini"},
	{"YaBrowser/", "Yandex Browser"},
	{"Vivaldi/", "Vivaldi"},
	{"UCBrowser/", "UC Browser"},
	{"MiuiBrowser/", "MIUI Browser"},
	{"HuaweiBrowser/", "Huawei Browser"},
	{"DuckDuckGo/", "DuckDuckGo"},
	{"Brave/", "Brave"},
	{"FBAV/", "Facebook"},
	{"Instagram ", "Instagram"},
	{"LinkedInApp", "LinkedIn"},
	{"Snapchat/", "Snapchat"},
	{"GSA/", "Google App"},
	{"FxiOS/", "Firefox"},
	{"Firefox/", "Firefox"},
	{"CriOS/", "Chrome"},
	{"Chromium/", "Chromium"},
}

// mssolaNames are the names from mssola/useragent that may pass through
// when no token above matched. Anything else it reports is text copied
// from the header, which must not reach storage.
var mssolaNames = map[string]string{
	"Internet Explorer": "Internet Explorer",
	"Opera":             "Opera",
	"Chrome":            "Chrome",
	"Firefox":           "Firefox",
	"Safari":            "Safari",
	"Edge":              "Edge",
	"Coc Coc":           "Coc Coc",
	"Android":           "Android Browser",
}

func browser(ua string, m *mssola.UserAgent) (name, version string) {
	for _, t := range browserTokens {
		if v, ok := versionAfter(ua, t.token); ok {
			return t.name, v
		}
	}
	switch {
	case strings.Contains(ua, "Chrome/") && strings.Contains(ua, "; wv)"):
		// Android WebView: an app showing a page, not Chrome itself.
		v, _ := versionAfter(ua, "Chrome/")
		return "Chrome WebView", v
	case strings.Contains(ua, "Chrome/"):
		v, _ := versionAfter(ua, "Chrome/")
		return "Chrome", v
	case strings.Contains(ua, "Trident/") || strings.Contains(ua, "MSIE "):
		_, v := m.Browser()
		return "Internet Explorer", major(v)
	case strings.Contains(ua, "Android") && strings.Contains(ua, "Version/"):
		// The pre-Chrome Android stock browser also says "Safari/".
		v, _ := versionAfter(ua, "Version/")
		return "Android Browser", v
	case strings.Contains(ua, "Safari/") && strings.Contains(ua, "Version/"):
		v, _ := versionAfter(ua, "Version/")
		return "Safari", v
	case strings.Contains(ua, "AppleWebKit/") && strings.Contains(ua, " Mobile/") &&
		!strings.Contains(ua, "Safari/"):
		// An iOS app's WKWebView: Safari's engine without Safari's token.
		return "iOS WebView", ""
	case strings.HasPrefix(ua, "Opera/"):
		if v, ok := versionAfter(ua, "Version/"); ok {
			return "Opera", v
		}
		v, _ := versionAfter(ua, "Opera/")
		return "Opera", v
	}
	n, v := m.Browser()
	if name, ok := mssolaNames[n]; ok {
		return name, major(v)
	}
	return "", ""
}

// versionAfter finds token in ua and returns the major version that follows
// it, if any. ok reports whether the token was found at all.
func versionAfter(ua, token string) (version string, ok bool) {
	i := strings.Index(ua, token)
	if i < 0 {
		return "", false
	}
	// "[LinkedInApp]/9.30": some apps close a bracket before the version.
	rest := strings.TrimLeft(ua[i+len(token):], "]/")
	return major(rest), true
}

// maxVersionDigits caps a version so that a forged "Chrome/999999999999"
// cannot become a long string; real majors have at most four digits.
const maxVersionDigits = 5

// major returns the leading run of ASCII digits of s, at most
// maxVersionDigits long; "" when s does not start with a digit.
func major(s string) string {
	n := 0
	for n < len(s) && n < maxVersionDigits && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n < len(s) && s[n] >= '0' && s[n] <= '9' {
		return "" // longer than any real version
	}
	return s[:n]
}
