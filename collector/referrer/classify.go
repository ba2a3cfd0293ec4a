package referrer

import "strings"

// Source says where a visit came from.
type Source struct {
	// Source is a known name ("Google", "Facebook", "Email"), the
	// referring host without "www." for other sites, or Direct.
	Source string
	// ReferrerDomain is the referring host without "www.", or the Android
	// package for app referrers; "" for Direct.
	ReferrerDomain string
}

// Classify finds the source of a visit from its referrer and the host of
// the page it landed on. No referrer, a referrer from the same site (equal
// hosts once "www." and the port are dropped), a non-web referrer (about:,
// file:, chrome:) or one that does not parse all count as Direct, as in
// Plausible. Subdomains are other sites: jobs.example.com referring to
// example.com is a referral, since without a public-suffix list "same site"
// cannot be judged safely beyond equal hosts.
func Classify(referrer, pageHost string) Source {
	scheme, authority, _, ok := splitURL(strings.TrimSpace(referrer))
	if !ok {
		return Source{Source: Direct}
	}
	switch scheme {
	case "http", "https":
	case "android-app":
		return androidApp(authority)
	default:
		return Source{Source: Direct}
	}
	host := hostOf(authority)
	if host == "" {
		return Source{Source: Direct}
	}
	domain := stripWWW(host)
	if domain == stripWWW(pageHostOf(pageHost)) {
		return Source{Source: Direct}
	}
	name := nameOfHost(host)
	if name == "" {
		name = domain
	}
	return Source{Source: name, ReferrerDomain: domain}
}

// pageHostOf accepts a bare host, with or without port, in any case.
func pageHostOf(h string) string {
	return hostOf(strings.TrimSpace(h))
}

func androidApp(pkg string) Source {
	pkg = strings.ToLower(pkg)
	if !isHostName(pkg) {
		return Source{Source: Direct}
	}
	if name, ok := androidApps[pkg]; ok {
		return Source{Source: name, ReferrerDomain: pkg}
	}
	return Source{Source: pkg, ReferrerDomain: pkg}
}

// WithUTM lets utm_source override the source, as Plausible does: a link
// tagged utm_source=newsletter came from the newsletter even when the mail
// client sent no referrer. Values that name a known source ("fb",
// "facebook.com", "google") take its canonical name; others are kept as
// given. The referrer domain is kept: it is still where the click came from.
func (s Source) WithUTM(u UTM) Source {
	if u.Source == "" {
		return s
	}
	s.Source = canonicalSource(u.Source)
	return s
}

// sourceAliases are utm_source spellings of known sources, lower case.
var sourceAliases = map[string]string{
	"fb": "Facebook", "fb-ads": "Facebook", "fbads": "Facebook", "facebook-ads": "Facebook",
	"ig": "Instagram", "yt": "YouTube", "google-ads": "Google", "googleads": "Google",
	"google_ads": "Google", "adwords": "Google", "gads": "Google", "tw": "Twitter",
	"x": "Twitter", "li": "LinkedIn", "email": Email, "e-mail": Email, "mail": Email,
	"newsletter": "Newsletter",
}

func canonicalSource(v string) string {
	l := strings.ToLower(v)
	if name, ok := sourceAliases[l]; ok {
		return name
	}
	if name, ok := lowerNames[l]; ok {
		return name
	}
	if isHostName(l) && strings.Contains(l, ".") {
		if name := nameOfHost(l); name != "" {
			return name
		}
	}
	return v
}

// lowerNames maps every known name, lower-cased, to itself, so that
// utm_source=google and utm_source=Google land in one row.
var lowerNames = func() map[string]string {
	m := map[string]string{}
	for _, tables := range []map[string]string{knownHosts, brandNames, androidApps} {
		for _, name := range tables {
			m[strings.ToLower(name)] = name
		}
	}
	return m
}()
