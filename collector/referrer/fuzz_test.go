package referrer

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func FuzzPage(f *testing.F) {
	for _, s := range []string{
		"https://example.com/jobs/123?q=x&id=2#/route?x=1",
		"HTTP://WWW.EXAMPLE.COM:80",
		"https://a@b@c/%zz?%zz=1&q=%",
		"http://[::1]:8080/#!/x",
		"https://example.com/jobb/s%C3%B8rlandet",
		"javascript:alert(1)",
	} {
		f.Add(s, true)
	}
	allow := []string{"q", "id"}
	f.Fuzz(func(t *testing.T, raw string, hash bool) {
		host, path, query, _, err := Page(raw, allow, hash)
		if err != nil {
			if host != "" || path != "" || query != "" {
				t.Fatalf("Page(%q) returned values with error %v", raw, err)
			}
			return
		}
		if host == "" || host != strings.ToLower(host) || strings.ContainsAny(host, "/?#@ ") {
			t.Fatalf("Page(%q) host = %q, want a lower-case host name", raw, host)
		}
		if !strings.HasPrefix(path, "/") || len(path) > MaxPathLen || !utf8.ValidString(path) ||
			strings.IndexFunc(path, unicode.IsControl) >= 0 {
			t.Fatalf("Page(%q) path = %q, want a clean path of at most %d bytes", raw, path, MaxPathLen)
		}
		if !hash && strings.Contains(path, "#") && !strings.Contains(raw, "%23") {
			t.Fatalf("Page(%q) path = %q keeps a fragment without hash routing", raw, path)
		}
		if len(query) > MaxQueryLen {
			t.Fatalf("Page(%q) query is %d bytes, want at most %d", raw, len(query), MaxQueryLen)
		}
		q, err := url.ParseQuery(query)
		if err != nil {
			t.Fatalf("Page(%q) query %q does not parse: %v", raw, query, err)
		}
		for name := range q {
			if !slices.Contains(allow, name) {
				t.Fatalf("Page(%q) query keeps %q, which is not allow-listed", raw, name)
			}
		}
	})
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{
		"https://www.google.co.uk/search?q=x",
		"https://l.facebook.com/l.php",
		"android-app://com.google.android.gm/",
		"https://example.com/",
		"about:blank",
		"https://mail.example.net:443",
	} {
		f.Add(s, "example.com")
	}
	f.Fuzz(func(t *testing.T, ref, pageHost string) {
		s := Classify(ref, pageHost)
		if s.Source == "" {
			t.Fatalf("Classify(%q, %q) has an empty source", ref, pageHost)
		}
		if (s.Source == Direct) != (s.ReferrerDomain == "") {
			t.Fatalf("Classify(%q, %q) = %+v: Direct must come with no domain, and only then", ref, pageHost, s)
		}
		if s.ReferrerDomain != "" && !isHostName(s.ReferrerDomain) && !isIPv6Literal(s.ReferrerDomain) {
			t.Fatalf("Classify(%q, %q) domain %q is not a host name", ref, pageHost, s.ReferrerDomain)
		}
		if strings.HasPrefix(s.ReferrerDomain, "www.") {
			t.Fatalf("Classify(%q, %q) domain %q keeps www.", ref, pageHost, s.ReferrerDomain)
		}
		if len(s.Source) > maxHostLen {
			t.Fatalf("Classify(%q, %q) source is %d bytes long", ref, pageHost, len(s.Source))
		}
	})
}
