package referrer

import "testing"

func TestClassify(t *testing.T) {
	const page = "example.com"
	tests := []struct {
		name     string
		referrer string
		pageHost string
		want     Source
	}{
		{"empty", "", page, Source{Source: Direct}},
		{"blank", "  ", page, Source{Source: Direct}},
		{"same site", "https://example.com/jobs", page, Source{Source: Direct}},
		{"same site www", "https://www.example.com/", page, Source{Source: Direct}},
		{"same site page has www", "https://example.com/", "www.example.com", Source{Source: Direct}},
		{"same site port and case", "http://EXAMPLE.com:8080/x", "Example.COM:443", Source{Source: Direct}},
		{"subdomain is a referral", "https://blog.example.com/post", page, Source{"blog.example.com", "blog.example.com"}},
		{"about:blank", "about:blank", page, Source{Source: Direct}},
		{"file", "file:///home/x.html", page, Source{Source: Direct}},
		{"chrome internal", "chrome://newtab/", page, Source{Source: Direct}},
		{"no scheme", "www.google.com", page, Source{Source: Direct}},
		{"bad host", "https://exa mple.com/", page, Source{Source: Direct}},
		{"ipv6 literal", "http://[2001:db8::1]/", page, Source{"2001:db8::1", "2001:db8::1"}},

		{"google", "https://www.google.com/", page, Source{"Google", "google.com"}},
		{"google norway", "https://www.google.no/", page, Source{"Google", "google.no"}},
		{"google uk", "https://www.google.co.uk/search?q=x", page, Source{"Google", "google.co.uk"}},
		{"google brazil", "https://google.com.br/", page, Source{"Google", "google.com.br"}},
		{"google news", "https://news.google.com/", page, Source{"Google", "news.google.com"}},
		{"google lookalike", "https://google.example.org/", page, Source{"google.example.org", "google.example.org"}},
		{"bing", "https://www.bing.com/search?q=jobb", page, Source{"Bing", "bing.com"}},
		{"duckduckgo", "https://duckduckgo.com/", page, Source{"DuckDuckGo", "duckduckgo.com"}},
		{"yahoo", "https://no.search.yahoo.com/", page, Source{"Yahoo", "no.search.yahoo.com"}},
		{"yandex turkey", "https://yandex.com.tr/", page, Source{"Yandex", "yandex.com.tr"}},
		{"yandex", "https://yandex.ru/search", page, Source{"Yandex", "yandex.ru"}},
		{"baidu", "https://www.baidu.com/", page, Source{"Baidu", "baidu.com"}},
		{"ecosia", "https://www.ecosia.org/", page, Source{"Ecosia", "ecosia.org"}},
		{"kvasir", "https://www.kvasir.no/", page, Source{"Kvasir", "kvasir.no"}},
		{"startpage", "https://www.startpage.com/", page, Source{"Startpage", "startpage.com"}},
		{"qwant", "https://www.qwant.com/", page, Source{"Qwant", "qwant.com"}},
		{"brave", "https://search.brave.com/", page, Source{"Brave", "search.brave.com"}},

		{"facebook", "https://www.facebook.com/", page, Source{"Facebook", "facebook.com"}},
		{"facebook link shim", "https://l.facebook.com/l.php?u=x", page, Source{"Facebook", "l.facebook.com"}},
		{"facebook mobile", "https://m.facebook.com/", page, Source{"Facebook", "m.facebook.com"}},
		{"instagram", "https://l.instagram.com/", page, Source{"Instagram", "l.instagram.com"}},
		{"linkedin", "https://www.linkedin.com/", page, Source{"LinkedIn", "linkedin.com"}},
		{"lnkd.in", "https://lnkd.in/abc", page, Source{"LinkedIn", "lnkd.in"}},
		{"x", "https://x.com/", page, Source{"Twitter", "x.com"}},
		{"t.co", "https://t.co/abc", page, Source{"Twitter", "t.co"}},
		{"twitter", "https://twitter.com/", page, Source{"Twitter", "twitter.com"}},
		{"reddit", "https://old.reddit.com/r/norway", page, Source{"Reddit", "old.reddit.com"}},
		{"youtube", "https://m.youtube.com/", page, Source{"YouTube", "m.youtube.com"}},
		{"tiktok", "https://www.tiktok.com/", page, Source{"TikTok", "tiktok.com"}},
		{"pinterest norway", "https://no.pinterest.com/", page, Source{"Pinterest", "no.pinterest.com"}},
		{"pinterest uk", "https://www.pinterest.co.uk/", page, Source{"Pinterest", "pinterest.co.uk"}},
		{"snapchat", "https://www.snapchat.com/", page, Source{"Snapchat", "snapchat.com"}},
		{"threads", "https://www.threads.net/", page, Source{"Threads", "threads.net"}},
		{"mastodon", "https://mastodon.social/@x", page, Source{"Mastodon", "mastodon.social"}},

		{"gmail", "https://mail.google.com/", page, Source{Email, "mail.google.com"}},
		{"outlook", "https://outlook.live.com/", page, Source{Email, "outlook.live.com"}},
		{"office 365", "https://outlook.office.com/mail/", page, Source{Email, "outlook.office.com"}},
		{"yahoo mail", "https://mail.yahoo.com/", page, Source{Email, "mail.yahoo.com"}},
		{"generic webmail", "https://webmail.online.no/", page, Source{Email, "webmail.online.no"}},
		{"generic mail host", "https://mail.example.net/", page, Source{Email, "mail.example.net"}},

		{"other site", "https://news.ycombinator.com/item?id=1", page, Source{"Hacker News", "news.ycombinator.com"}},
		{"unknown site www stripped", "https://www.finn.no/job/123", page, Source{"finn.no", "finn.no"}},
		{"unknown site keeps subdomain", "https://blogg.nav.no/x", page, Source{"blogg.nav.no", "blogg.nav.no"}},
		{"path and query dropped", "https://www.finn.no/job?secret=1#x", page, Source{"finn.no", "finn.no"}},
		{"user info dropped", "https://someone:pw@finn.no/", page, Source{"finn.no", "finn.no"}},
		{"bad escapes tolerated", "https://finn.no/%zz?q=%zz", page, Source{"finn.no", "finn.no"}},
		{"trailing dot", "https://finn.no./", page, Source{"finn.no", "finn.no"}},

		{"android gmail", "android-app://com.google.android.gm/", page, Source{Email, "com.google.android.gm"}},
		{"android google", "android-app://com.google.android.googlequicksearchbox/https/www.google.com", page, Source{"Google", "com.google.android.googlequicksearchbox"}},
		{"android other", "android-app://no.finn.android/", page, Source{"no.finn.android", "no.finn.android"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.referrer, tt.pageHost); got != tt.want {
				t.Errorf("Classify(%q, %q) = %+v, want %+v", tt.referrer, tt.pageHost, got, tt.want)
			}
		})
	}
}

func TestWithUTM(t *testing.T) {
	google := Source{"Google", "google.com"}
	tests := []struct {
		name string
		src  Source
		utm  string
		want Source
	}{
		{"no utm", google, "", google},
		{"newsletter over direct", Source{Source: Direct}, "newsletter", Source{Source: "Newsletter"}},
		{"alias", Source{Source: Direct}, "fb", Source{Source: "Facebook"}},
		{"known name, other case", Source{Source: Direct}, "linkedin", Source{Source: "LinkedIn"}},
		{"known host", Source{Source: Direct}, "l.facebook.com", Source{Source: "Facebook"}},
		{"custom kept as given", google, "Jobbnorge-Partner", Source{"Jobbnorge-Partner", "google.com"}},
		{"referrer domain kept", google, "email", Source{Email, "google.com"}},
	}
	for _, tt := range tests {
		if got := tt.src.WithUTM(UTM{Source: tt.utm}); got != tt.want {
			t.Errorf("%s: WithUTM(%q) = %+v, want %+v", tt.name, tt.utm, got, tt.want)
		}
	}
}

func BenchmarkClassify(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Classify("https://www.google.no/", "example.com")
	}
}

func BenchmarkClassifyUnknown(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Classify("https://blogg.example.org/2024/01/post", "example.com")
	}
}
