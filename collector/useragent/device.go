package useragent

import "strings"

// device classifies the form factor from what the user agent admits.
// iPads since iPadOS 13 ask for desktop sites and send a Macintosh user
// agent; nothing in the header tells them apart, so they count as desktop.
func device(ua, os string) string {
	switch {
	case strings.Contains(ua, "iPad"),
		strings.Contains(ua, "Tablet"),
		strings.Contains(ua, "Kindle"),
		strings.Contains(ua, "Silk/"),
		strings.Contains(ua, "PlayBook"):
		return Tablet
	case strings.Contains(ua, "iPhone"),
		strings.Contains(ua, "iPod"),
		strings.Contains(ua, "Windows Phone"),
		strings.Contains(ua, "Opera Mini"),
		os == "KaiOS":
		return Mobile
	case os == "Android":
		// Chrome and Firefox on Android send "Mobile" on phones and leave
		// it out on tablets, as Google's own guidance says to read it.
		if strings.Contains(ua, "Mobile") {
			return Mobile
		}
		return Tablet
	case strings.Contains(ua, "Mobi"):
		return Mobile
	}
	return Desktop
}
