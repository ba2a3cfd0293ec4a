package useragent

import (
	"testing"
)

// knownBrowsers and knownOS are the whole vocabulary Parse may answer with;
// anything else would be text copied from the header.
var (
	knownBrowsers = map[string]bool{
		"": true, "Chrome": true, "Chrome WebView": true, "Chromium": true,
		"Firefox": true, "Safari": true, "iOS WebView": true, "Edge": true,
		"Samsung Internet": true, "Opera": true, "Opera Mini": true,
		"Yandex Browser": true, "Vivaldi": true, "UC Browser": true,
		"MIUI Browser": true, "Huawei Browser": true, "DuckDuckGo": true,
		"Brave": true, "Facebook": true, "Instagram": true, "LinkedIn": true, "Snapchat": true,
		"Google App": true, "Internet Explorer": true, "Coc Coc": true,
		"Android Browser": true,
	}
	knownOS = map[string]bool{
		"": true, "Windows": true, "Windows Phone": true, "macOS": true,
		"iOS": true, "iPadOS": true, "Android": true, "Linux": true,
		"ChromeOS": true, "HarmonyOS": true, "KaiOS": true, "Tizen": true,
		"FreeBSD": true, "OpenBSD": true,
	}
	knownDevices    = map[string]bool{Desktop: true, Mobile: true, Tablet: true}
	knownOSVersions = map[string]bool{"Vista": true, "XP": true, "8.1": true}
)

func FuzzParse(f *testing.F) {
	for _, ua := range browserUAs {
		f.Add(ua)
	}
	for _, ua := range []string{uaGooglebot, uaBingbot, uaCurl, uaHeadless, "", "Mozilla/5.0 (", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_"} {
		f.Add(ua)
	}
	p := newParser(f)
	f.Fuzz(func(t *testing.T, ua string) {
		a := p.Parse(ua)
		if !knownBrowsers[a.Browser] {
			t.Errorf("Parse(%q).Browser = %q, want a known family", ua, a.Browser)
		}
		if !knownOS[a.OS] {
			t.Errorf("Parse(%q).OS = %q, want a known OS", ua, a.OS)
		}
		if !knownDevices[a.Device] {
			t.Errorf("Parse(%q).Device = %q, want desktop, mobile or tablet", ua, a.Device)
		}
		if !isVersion(a.BrowserVersion) {
			t.Errorf("Parse(%q).BrowserVersion = %q, want digits", ua, a.BrowserVersion)
		}
		if !isVersion(a.OSVersion) && !knownOSVersions[a.OSVersion] && !isMacVersion(a.OSVersion) {
			t.Errorf("Parse(%q).OSVersion = %q, want digits", ua, a.OSVersion)
		}
		if a.Bot != (a.BotReason != ReasonNone) {
			t.Errorf("Parse(%q): Bot %v with reason %q", ua, a.Bot, a.BotReason)
		}
	})
}

func isVersion(s string) bool {
	if len(s) > maxVersionDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isMacVersion(s string) bool {
	return len(s) > 3 && s[:3] == "10." && isVersion(s[3:])
}

// FuzzCrawlerMatch checks the literal index against running every pattern.
func FuzzCrawlerMatch(f *testing.F) {
	for _, ua := range []string{uaGooglebot, uaBingbot, uaCurl, uaChromeWindows, "wGET/1", "AdsBot-Google-Mobile", "ahrefssiteaudit"} {
		f.Add(ua)
	}
	m, naive := matcher(f), newNaive(f)
	f.Fuzz(func(t *testing.T, ua string) {
		if got, want := m.match(ua), naive.match(ua); got != want {
			t.Errorf("match(%q) = %v, want %v", ua, got, want)
		}
	})
}
