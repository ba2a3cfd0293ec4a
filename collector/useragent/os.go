package useragent

import "strings"

// operatingSystem reads the platform from the user agent's first comment.
// Order matters: Android user agents also say "Linux", iOS ones "Mac OS X",
// Windows Phone ones "Android" and "Windows".
func operatingSystem(ua string) (name, version string) {
	switch {
	case strings.Contains(ua, "Windows Phone"):
		v, _ := versionAfter(ua, "Windows Phone ")
		return "Windows Phone", v
	case strings.Contains(ua, "Windows NT "):
		return "Windows", windowsVersion(ua)
	case strings.Contains(ua, "Windows"):
		return "Windows", ""
	case strings.Contains(ua, "iPad"):
		v := appleVersion(ua, "CPU OS ")
		if n, ok := atoi(v); ok && n >= 13 {
			// Apple renamed the iPad's OS at 13.
			return "iPadOS", v
		}
		return "iOS", v
	case strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPod"):
		return "iOS", appleVersion(ua, "iPhone OS ")
	case strings.Contains(ua, "HarmonyOS"):
		return "HarmonyOS", ""
	case strings.Contains(ua, "KAIOS") || strings.Contains(ua, "KaiOS"):
		return "KaiOS", ""
	case strings.Contains(ua, "Android"):
		v, _ := versionAfter(ua, "Android ")
		return "Android", v
	case strings.Contains(ua, "CrOS "):
		return "ChromeOS", ""
	case strings.Contains(ua, "Mac OS X") || strings.Contains(ua, "Macintosh"):
		return "macOS", macVersion(ua)
	case strings.Contains(ua, "Tizen"):
		return "Tizen", ""
	case strings.Contains(ua, "FreeBSD"):
		return "FreeBSD", ""
	case strings.Contains(ua, "OpenBSD"):
		return "OpenBSD", ""
	case strings.Contains(ua, "Linux") || strings.Contains(ua, "X11"):
		return "Linux", ""
	}
	return "", ""
}

// windowsVersion maps the NT kernel version to the name people know.
// Windows 11 still sends "Windows NT 10.0", so it counts as "10"; only
// client hints could tell them apart.
func windowsVersion(ua string) string {
	i := strings.Index(ua, "Windows NT ")
	rest := ua[i+len("Windows NT "):]
	for _, v := range []struct{ nt, name string }{
		{"10.0", "10"}, {"6.3", "8.1"}, {"6.2", "8"}, {"6.1", "7"},
		{"6.0", "Vista"}, {"5.2", "XP"}, {"5.1", "XP"},
	} {
		if strings.HasPrefix(rest, v.nt) && !isDigitAt(rest, len(v.nt)) {
			return v.name
		}
	}
	return ""
}

// appleVersion reads "17_4_1" after marker and returns the major, "17".
func appleVersion(ua, marker string) string {
	v, _ := versionAfter(ua, marker)
	return v
}

// macVersion returns the major for macOS 11 and later and "10.x" for the
// 10 series, whose minor was the release. Safari and Chrome freeze the
// string at 10_15_7, Firefox at 10.15.
func macVersion(ua string) string {
	i := strings.Index(ua, "Mac OS X ")
	if i < 0 {
		return ""
	}
	rest := ua[i+len("Mac OS X "):]
	maj := major(rest)
	if maj != "10" || len(rest) < 4 || (rest[2] != '_' && rest[2] != '.') {
		return maj
	}
	if minor := major(rest[3:]); minor != "" {
		return "10." + minor
	}
	return maj
}

func isDigitAt(s string, i int) bool {
	return i < len(s) && s[i] >= '0' && s[i] <= '9'
}

func atoi(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
